"""Web pages: the resident's online ballot (mobile-first) and the clerk's fast paper-entry page.

Every write calls ``elections.services``; refusals are shown as the service words them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.clientip import client_ip
from core.crypto import keyed_hash
from core.errors import ApplicationError
from elections import selectors, services
from elections.chain import receipt_hash
from elections.models import (
    Candidate,
    Channel,
    Choice,
    RollSplitUnit,
    RollUnit,
    TallyState,
    Vote,
    VoteStatus,
    VotingCode,
)
from elections.rights import may_enter_ballots
from elections.services.codes import normalized
from elections.services.proxies import is_accepted_proxy_in
from governance.scoping import Action, can
from residents.models import PropertyUnit
from residents.selectors import units_matching

SESSION_CODES = "elections_voting_codes"


def _code_for(request, vote: Vote) -> str | None:
    return request.session.get(SESSION_CODES, {}).get(str(vote.pk))


def _visible_vote(request, pk: int) -> Vote:
    """A vote the visitor may see: in their scope when logged in, or the one their voting code opens."""
    vote = get_object_or_404(Vote.objects.select_related("estate"), pk=pk)
    if (
        _code_for(request, vote)
        or can(request.user, Action.VIEW_PUBLIC, vote.estate)
        or is_accepted_proxy_in(vote, request.user)
    ):
        return vote
    if not request.user.is_authenticated:
        raise PermissionDenied
    raise Http404


def _candidates(vote: Vote):
    return list(Candidate.objects.filter(vote=vote, eligible=True).select_related("owner__person").order_by("pk"))


def index(request):
    """The votes in the visitor's scope, and the box for a one-time voting code."""
    votes = []
    if request.user.is_authenticated:
        votes = list(
            Vote.objects.restrict(request.user, Action.VIEW_PUBLIC)
            .exclude(status__in=[VoteStatus.DRAFT, VoteStatus.CANCELLED])
            .select_related("estate")[:50]
        )
    return render(request, "elections/index.html", {"votes": votes})


@require_POST
def enter_code(request):
    """Open the vote that a voting code (delivered sealed to a counted owner) belongs to."""
    code = request.POST.get("code", "")
    try:
        row = services.code_entry(code=code, client=client_ip(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("elections:index")
    if row.vote.status != VoteStatus.VOTING:
        messages.error(request, _("该投票未在进行中。"))
        return redirect("elections:index")
    codes = request.session.get(SESSION_CODES, {})
    codes[str(row.vote_id)] = code
    request.session[SESSION_CODES] = codes
    return redirect("elections:vote", pk=row.vote_id)


def vote_page(request, pk: int):
    """The notice, the candidates with their statements, and the ballot while voting is open.

    A logged-out visitor without a voting code is sent to log in and brought back here.
    """
    try:
        vote = _visible_vote(request, pk)
    except PermissionDenied:
        return redirect_to_login(request.get_full_path())
    now = timezone.now()
    code = _code_for(request, vote)
    voters = [] if code else selectors.owners_user_may_vote_for(vote, request.user)
    may_vote = (
        vote.status == VoteStatus.VOTING
        and vote.opens_at <= now < vote.closes_at
        and (bool(code) or any(not v["voted"] for v in voters))
    )
    unit_label = ""
    if code:
        row = VotingCode.objects.filter(vote=vote, code_hash=keyed_hash(normalized(code))).first()
        unit_label = "、".join(selectors.unit_labels(vote, [row.entry_id]).get(row.entry_id, [])) if row else ""
    return render(
        request,
        "elections/vote.html",
        {
            "vote": vote,
            "candidates": _candidates(vote),
            "may_vote": may_vote,
            "voted_all": bool(voters) and all(v["voted"] for v in voters),
            "voters": voters,
            "unit_label": unit_label,
            "choices": Choice.choices,
            "result": vote.current_result,
            "turnout": selectors.turnout(vote) if vote.status == VoteStatus.VOTING else None,
            "may_enter": may_enter_ballots(request.user, vote.estate),
            "may_run": can(request.user, Action.RUN_VOTE, vote.estate),
            "entering": vote.status == VoteStatus.VOTING
            or (vote.status == VoteStatus.COUNTING and vote.tally_state == TallyState.PENDING),
        },
    )


@require_POST
def cast(request, pk: int):
    """Cast the visitor's own ballot online and show the receipt once."""
    vote = _visible_vote(request, pk)
    code = _code_for(request, vote)
    owner = request.POST.get("owner", "")
    try:
        ballot = services.ballot_cast(
            vote=vote,
            channel=Channel.ONLINE,
            actor=request.user,
            owner_id=int(owner) if owner.isdigit() and not code else None,
            voting_code=code,
            client=client_ip(request),
            approve=[int(x) for x in request.POST.getlist("approve") if x.isdigit()],
            choice=request.POST.get("choice", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("elections:vote", pk=vote.pk)
    if code:
        codes = request.session.get(SESSION_CODES, {})
        codes.pop(str(vote.pk), None)
        request.session[SESSION_CODES] = codes
    return render(request, "elections/receipt.html", {"vote": vote, "ballot": ballot, "receipt": ballot.receipt})


def bulletin(request, pk: int):
    """The public bulletin: a voter checks their receipt is counted; then the totals. Names no owner."""
    vote = get_object_or_404(Vote.objects.select_related("estate"), pk=pk)
    if vote.status in (VoteStatus.DRAFT, VoteStatus.CANCELLED):
        raise Http404
    data = selectors.bulletin(vote)
    checked, found = request.GET.get("receipt", "").strip(), None
    if checked:
        digest = receipt_hash(checked)
        found = (
            "counted" if digest in data["receipts"] else "voided" if digest in data["voided_receipts"] else "missing"
        )
    candidates = {c.pk: c for c in _candidates(vote)} if vote.is_election else {}
    rows = []
    if data["totals"] and vote.is_election:
        rows = [
            {**c, "name": candidates[c["id"]].owner.name if c["id"] in candidates else c["id"]}
            for c in data["totals"]["candidates"]
        ]
    return render(
        request,
        "elections/bulletin.html",
        {
            "vote": vote,
            "bulletin": data,
            "checked": checked,
            "found": found,
            "candidate_rows": rows,
        },
    )


def _unit_by_label(vote: Vote, label: str) -> PropertyUnit | None:
    """Find a unit of the vote's estate from what a clerk types: ``1栋-101`` or ``1栋-2单元-101``."""
    parts = [p.strip() for p in label.replace("－", "-").split("-") if p.strip()]
    if len(parts) not in (2, 3):
        return None
    building, room = parts[0], parts[-1]
    stairway = parts[1].removesuffix("单元") if len(parts) == 3 else ""
    if not building.endswith("栋"):
        building += "栋"
    return PropertyUnit.objects.filter(
        estate=vote.estate, building__name=building, stairway=stairway, room=room
    ).first()


SPOILED_MARKS = {"0", "废", "空"}


def _paper_marks(vote: Vote, marks: list[str], number_of: dict[int, int], *, spoiled: bool) -> dict | None:
    """What a clerk typed for a paper ballot, as the service takes it; None when nothing was typed.

    A returned blank or spoiled ballot (the box ticked, or 0) is a spoiled ballot; an election
    mark that is not a candidate's number names someone who is not a candidate; a resolution
    mark other than 1, 2 or 3 is a spoiled ballot. Both are invalid and take part.
    """
    if spoiled or (marks and all(m in SPOILED_MARKS for m in marks)):
        return {"spoiled": True}
    if not marks:
        return None
    if vote.is_election:
        known = [number_of[int(m)] for m in marks if m.isdigit() and int(m) in number_of]
        return {"approve": known, "write_in": len(known) != len(marks)}
    choice = {"1": "for", "2": "against", "3": "abstain"}.get(marks[0]) if len(marks) == 1 else None
    return {"choice": choice} if choice else {"spoiled": True}


@login_required
def paper_entry(request, pk: int):
    """The clerk's paper-entry page: serial first, then the unit, then the marks; Enter submits."""
    vote = get_object_or_404(Vote.objects.select_related("estate"), pk=pk)
    if not may_enter_ballots(request.user, vote.estate):
        raise Http404
    candidates = _candidates(vote)
    number_of = {i + 1: c.pk for i, c in enumerate(candidates)}
    channel = request.session.get("elections_paper_channel", Channel.CENTRAL)
    if request.method == "POST":
        channel = request.POST.get("channel", channel)
        request.session["elections_paper_channel"] = channel
        unit = _unit_by_label(vote, request.POST.get("unit", ""))
        marks = request.POST.get("marks", "").replace("，", " ").replace(",", " ").split()
        if unit is None:
            messages.error(
                request,
                _("找不到房屋“%(u)s”，请按“1栋-101”或“1栋-2单元-101”的格式输入。")
                % {"u": request.POST.get("unit", "")},
            )
            return redirect("elections:paper", pk=vote.pk)
        kwargs = _paper_marks(vote, marks, number_of, spoiled=bool(request.POST.get("spoiled")))
        if kwargs is None:
            messages.error(request, _("请输入所选内容；空白票或废票请勾选“废票”或输入 0。"))
            return redirect("elections:paper", pk=vote.pk)
        try:
            ballot = services.ballot_cast(
                vote=vote,
                channel=channel,
                actor=request.user,
                unit_id=unit.pk,
                paper_serial=request.POST.get("serial", ""),
                box=request.POST.get("box", ""),
                proxy_name=request.POST.get("proxy", ""),
                **kwargs,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            note = (
                ""
                if ballot.valid
                else _("（%(why)s，为无效票，计入参与人数）") % {"why": ballot.get_invalid_reason_display()}
            )
            messages.success(
                request,
                _("已录入：编号 %(s)s，%(u)s，第 %(n)s 张%(note)s")
                % {"s": ballot.paper_serial, "u": unit.label, "n": ballot.seq, "note": note},
            )
        return redirect("elections:paper", pk=vote.pk)
    return render(
        request,
        "elections/paper.html",
        {
            "vote": vote,
            "candidates": candidates,
            "channel": channel,
            "channels": [(Channel.CENTRAL, Channel.CENTRAL.label), (Channel.MOBILE_BOX, Channel.MOBILE_BOX.label)],
            "reconciliation": selectors.paper_reconciliation(vote),
            "boxes": list(vote.boxes.filter(entry_done_at__isnull=True).order_by("label")),
        },
    )


ROLL_PAGE = 100  # roll entries per page of the notice: an estate's roll runs to thousands


def roll_notice(request, pk: int):
    """The frozen roll as a public notice: unit numbers and areas of each counted owner, never names.

    Paged, and searched by unit number: the entries that held a matching unit when the roll froze
    or hold it now (a buyer's entry after a transfer). A fixed number of queries per page.
    """
    try:
        vote = _visible_vote(request, pk)
    except PermissionDenied:
        return redirect_to_login(request.get_full_path())  # like the vote's page: log in, then come back
    query = request.GET.get("q", "").strip()[:60]
    rows = vote.roll.order_by("pk")
    if query:
        units = units_matching(PropertyUnit.objects.filter(estate=vote.estate), query).values("pk")
        rows = rows.filter(
            Q(pk__in=RollUnit.objects.filter(vote=vote, unit__in=units).values("entry_id"))
            | Q(pk__in=RollSplitUnit.objects.filter(vote=vote, unit__in=units).values("split__target_id"))
        )
    page = Paginator(rows.values_list("id", "key", "area", "is_developer"), ROLL_PAGE).get_page(request.GET.get("page"))
    labels = selectors.unit_labels(vote, [row[0] for row in page])
    entries = [
        {"key": key, "area": area, "developer": dev, "units": labels.get(entry_id, [])}
        for entry_id, key, area, dev in page
    ]
    context = {"vote": vote, "entries": entries, "page": page, "q": query}
    return render(request, "elections/roll.html", {**context, "pager_query": urlencode({"q": query}) if query else ""})


@login_required
def voting_codes(request, pk: int):
    """Issue the voting codes of the counted owners that have none, and show them once: slips per building."""
    vote = get_object_or_404(Vote.objects.select_related("estate"), pk=pk)
    if not may_enter_ballots(request.user, vote.estate):
        raise Http404
    sheets = []
    if request.method == "POST":
        try:
            issued = dict(services.voting_codes_issue(vote=vote, actor=request.user))
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("elections:codes", pk=vote.pk)
        sheets = selectors.voting_code_sheets(vote, issued)
    return render(request, "elections/codes.html", {"vote": vote, "sheets": sheets, "posted": request.method == "POST"})
