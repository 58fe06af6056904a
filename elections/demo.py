"""Demo data of the voting engine for 南方上格林 (docs/domain.md §8).

- A filed owners' committee election from June 2023 (its result day is the committees
  demo's term start): 10 candidates for 9 seats, ballots through all five channels,
  9 elected of whom 6 are party members (the reference case).
- An open resolution (matter 4, renewing the property company) that the demo ``resident``
  can vote in now.

Everything goes through ``elections.services``, with the past election's steps dated in
2023. Idempotent: each vote is looked up by its title first.
"""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from elections import services
from elections.models import Channel, GroupBody, NominatedBy, RollEntry, Vote, VoteKind, VoteStatus
from governance.models import OrgKind, Place, PlaceKind, PostKind, User
from governance.scoping import SYSTEM
from residents.models import Owner, Ownership, PropertyUnit

REFERENCE_ESTATE = "南方上格林"
ELECTION_TITLE = "南方上格林第二届业主委员会选举"
RESOLUTION_TITLE = "关于续聘物业服务企业的表决"
TZ = ZoneInfo("Asia/Shanghai")
OPENS = datetime.datetime(2023, 6, 3, 8, 0, tzinfo=TZ)
CLOSES = datetime.datetime(2023, 6, 17, 18, 0, tzinfo=TZ)

GROUP = [
    {"name": "李建华", "body": GroupBody.STREET, "leads": True},
    {"name": "王德明", "body": GroupBody.PARTY, "leads": False},
    {"name": "陈晓东", "body": GroupBody.PROPERTY_CENTRE, "leads": False},
    {"name": "赵警官", "body": GroupBody.POLICE, "leads": False},
    {"name": "刘芳", "body": GroupBody.RESIDENTS_COMMITTEE, "leads": False},
    {"name": "周经理", "body": GroupBody.DEVELOPER, "leads": False},
] + [
    {"name": n, "body": GroupBody.OWNERS, "leads": False}
    for n in ("张国强", "黄丽", "吴志文", "孙桂英", "马建国", "朱秀兰", "胡明")
]


def load(*, stdout) -> None:
    estate = Place.objects.filter(kind=PlaceKind.ESTATE, name=REFERENCE_ESTATE).first()
    if estate is None or not PropertyUnit.objects.filter(estate=estate).exists():
        stdout.write("elections: no units in the reference estate (load the residents demo first); skipped")
        return
    users = {u.username: u for u in User.objects.filter(username__in=["secretary", "clerk"])}
    if len(users) < 2:
        stdout.write("elections: demo users secretary and clerk are missing; skipped")
        return
    if not Vote.objects.filter(estate=estate, title=ELECTION_TITLE).exists():
        with transaction.atomic():
            vote = _past_election(estate, users["secretary"], users["clerk"])
        stdout.write(f"elections: filed election #{vote.pk} ({ELECTION_TITLE}) with 9 of 10 candidates elected")
    if not Vote.objects.filter(estate=estate, title=RESOLUTION_TITLE).exists():
        with transaction.atomic():
            vote = _open_resolution(estate, users["secretary"])
        stdout.write(f"elections: open resolution #{vote.pk} ({RESOLUTION_TITLE}), the demo resident may vote")


def _candidate_owners(estate: Place) -> list[tuple[Owner, bool]]:
    """Six owners who are party members and four who are not, owning since before 2023 and still today."""
    today = timezone.localdate()
    holders = (
        Ownership.objects.active_on(today)
        .filter(
            unit__estate=estate, start__lt=datetime.date(2023, 1, 1), owner__kind="person", owner__is_developer=False
        )
        .values_list("owner_id", flat=True)
    )
    owners = Owner.objects.filter(pk__in=holders).select_related("person").order_by("pk")
    # The general-branch secretary stands first among the party members (一肩挑 in the reference case).
    secretary = owners.filter(
        person__posts__kind=PostKind.SECRETARY,
        person__posts__organization__kind=OrgKind.ESTATE_GENERAL_BRANCH,
        person__posts__place=estate,
    ).first()
    party = [secretary] if secretary and hasattr(secretary.person, "party_member") else []
    party += [o for o in owners.filter(person__party_member__isnull=False).exclude(pk__in=[p.pk for p in party])][
        : 6 - len(party)
    ]
    others = [o for o in owners.filter(person__party_member__isnull=True)[:4]]
    if len(party) < 6:  # no party register yet: mark as reported at nomination
        extra = [o for o in owners if o not in others][: 6 - len(party)]
        party += extra
    return [(o, True) for o in party] + [(o, False) for o in others]


def _nominate(vote: Vote, estate: Place, secretary: User) -> tuple[list[int], datetime.datetime]:
    """The preparatory group, then ten candidates nominated and found eligible; returns their ids and the day."""
    services.preparatory_group_record(vote=vote, members=GROUP, actor=secretary)
    step = datetime.datetime(2023, 4, 20, 9, 0, tzinfo=TZ)
    services.vote_transition(vote=vote, to=VoteStatus.NOMINATION, actor=secretary, now=step)
    candidates = []
    for i, (owner, is_party) in enumerate(_candidate_owners(estate)):
        c = services.candidate_nominate(
            vote=vote,
            owner=owner,
            actor=secretary,
            reported_party_member=is_party,
            nominated_by=NominatedBy.PARTY
            if is_party
            else (NominatedBy.OWNERS if i % 2 else NominatedBy.RESIDENTS_COMMITTEE),
            statement="热心小区公共事务，愿为业主服务。" if not is_party else "共产党员，愿带头做好业委会工作。",
        )
        services.candidate_review(candidate=c, eligible=True, reason="", actor=secretary)
        candidates.append(c.pk)
    return candidates, step


def _past_ballots(vote: Vote, candidates: list[int], secretary: User, clerk: User) -> None:
    """85% of the roll votes, by every channel in turn; organizations through their representatives."""
    rng = random.Random(2020)
    representatives = _organization_proxies(vote, secretary, clerk)

    # 9 winners: the six party members and the first three others; the tenth gets fewer approvals.
    winners, tenth = candidates[:6] + candidates[6:9], candidates[9]
    entries = list(RollEntry.objects.filter(vote=vote).order_by("pk").values_list("key", flat=True))
    entry_ids = dict(RollEntry.objects.filter(vote=vote).values_list("key", "pk"))
    units: dict[str, int] = {}
    for key, unit_id in RollEntry.objects.filter(vote=vote).values_list("key", "units__unit_id").order_by("units__pk"):
        units.setdefault(key, unit_id)
    voting = entries[: len(entries) * 85 // 100]
    serials = [f"2023-{i:04d}" for i in range(1, len(voting) + 1)]
    services.paper_serials_issue(vote=vote, serials=serials, actor=secretary)
    codes = dict(services.voting_codes_issue(vote=vote, actor=secretary))
    channels = [Channel.CENTRAL, Channel.MOBILE_BOX, Channel.ONLINE, Channel.PHONE, Channel.WECHAT]
    for n, key in enumerate(voting):
        moment = OPENS + datetime.timedelta(minutes=20 * n)
        approve = rng.sample(winners, rng.randint(6, 9)) if n % 7 else [*rng.sample(winners, 8), tenth]
        channel = channels[n % 5]
        unit_id = units[key]
        extra = {}
        if channel == Channel.ONLINE and entry_ids[key] in codes:
            extra["voting_code"] = codes[entry_ids[key]]
        elif channel in (Channel.CENTRAL, Channel.MOBILE_BOX):
            extra["paper_serial"] = serials[n]
        else:
            channel = Channel.PHONE if channel == Channel.ONLINE else channel
            extra["reference"] = f"{channel}-{n:04d}"
        if key in representatives and "voting_code" not in extra:
            extra["proxy_name"] = representatives[key]
        services.ballot_cast(
            vote=vote,
            channel=channel,
            unit_id=unit_id,
            approve=approve,
            now=moment,
            actor=SYSTEM if "voting_code" in extra else clerk,
            **extra,
        )


def _past_election(estate: Place, secretary: User, clerk: User) -> Vote:
    """The filed 2023 election (docs/domain.md §8): nominated, reviewed, noticed, voted on every channel, filed."""
    vote = services.vote_create(
        estate=estate,
        kind=VoteKind.COMMITTEE_ELECTION,
        title=ELECTION_TITLE,
        seats=9,
        description="依法选举第二届业主委员会。应选 9 名，候选人 10 名。",
        opens_at=OPENS,
        closes_at=CLOSES,
        actor=secretary,
    )
    candidates, step = _nominate(vote, estate, secretary)
    services.vote_transition(vote=vote, to=VoteStatus.REVIEW, actor=secretary, now=step + datetime.timedelta(days=14))
    # The candidate list goes up on 18 May: the law's 15 days run before voting opens on 3 June.
    services.vote_transition(
        vote=vote, to=VoteStatus.NOTICE, actor=secretary, now=datetime.datetime(2023, 5, 18, 9, 0, tzinfo=TZ)
    )
    services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=secretary, now=OPENS)
    _past_ballots(vote, candidates, secretary, clerk)
    services.vote_close(vote=vote, actor=secretary, now=CLOSES)
    services.vote_tally(vote_id=vote.pk)  # the task would run on commit; the demo needs the result now
    done = CLOSES + datetime.timedelta(days=1)
    services.vote_transition(vote=vote, to=VoteStatus.PRELIMINARY, actor=secretary, now=done)
    services.vote_transition(
        vote=vote, to=VoteStatus.FINAL, actor=secretary, now=done + datetime.timedelta(days=vote.objection_days + 1)
    )
    services.vote_transition(
        vote=vote,
        to=VoteStatus.FILED,
        actor=secretary,
        now=done + datetime.timedelta(days=vote.objection_days + 10),
        filing_reference="观街业备〔2023〕17号",
        filed_on=datetime.date(2023, 7, 10),
    )
    return vote


# A one-page PDF standing for a scanned, signed letter of authorisation (授权委托书).
MANDATE_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _organization_proxies(vote: Vote, secretary: User, clerk: User) -> dict[str, str]:
    """Register and accept a representative for each entry held only by organizations (the developer).

    An organization votes through a representative holding its written authorisation; return
    the representative's name per roll entry key.
    """
    names = {}
    org_entries = RollEntry.objects.filter(vote=vote).exclude(owners__owner__kind="person").distinct()
    for entry in org_entries:
        owner = Owner.objects.filter(pk__in=entry.owners.values("owner_id")).order_by("pk").first()
        if owner is None:
            continue
        name = f"{owner.name}授权代表"
        proxy = services.proxy_register(
            vote=vote,
            owner=owner,
            name=name,
            mandate=ContentFile(MANDATE_PDF, name="授权委托书.pdf"),
            actor=clerk,
            now=OPENS,
        )
        services.proxy_decide(proxy=proxy, accept=True, actor=secretary, now=OPENS)
        names[entry.key] = name
    return names


def _open_resolution(estate: Place, secretary: User) -> Vote:
    now = timezone.now()
    vote = services.vote_create(
        estate=estate,
        kind=VoteKind.RESOLUTION,
        title=RESOLUTION_TITLE,
        matter=4,
        description="物业服务合同将于年底到期，业委会提议续聘现物业服务企业三年，服务标准和收费不变。",
        opens_at=now - datetime.timedelta(hours=2),
        closes_at=now + datetime.timedelta(days=14),
        actor=secretary,
    )
    # The materials went up 16 days ago: the law's 15 days have run.
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=secretary, now=now - datetime.timedelta(days=16))
    services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=secretary)
    return vote
