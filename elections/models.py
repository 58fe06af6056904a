"""Owners' votes: committee elections and assembly resolutions (docs/domain.md §4 and §5).

A ``Vote`` moves through its states by ``elections.services.vote_transition``; the roll is
frozen into ``RollEntry`` rows when voting opens, ballots are appended to a hash chain,
and the tally is stored as an immutable ``VoteResult``. Nothing here is ever deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.appendonly import AppendOnlyModel, AppendOnlyQuerySet
from core.hashing import GENESIS
from governance.models import Place
from governance.models.trees import ScopedQuerySet
from governance.scoping import ScopedQuerySetMixin


class ScopedAppendOnlyQuerySet(ScopedQuerySetMixin, AppendOnlyQuerySet):
    """Rows scoped to the place tree that are never updated (but for named columns) or deleted."""


# Columns of ``Vote`` that only the chain's appends write (see ``Vote.chain_seq``).
CHAIN_TIP_FIELDS = ("chain_seq", "chain_head", "split_count")


class VoteKind(models.TextChoices):
    COMMITTEE_ELECTION = "committee_election", _("业主委员会选举")
    RESOLUTION = "resolution", _("业主大会表决")


class Matter(models.IntegerChoices):
    """The nine matters of Civil Code Art. 278."""

    RULES_OF_PROCEDURE = 1, _("制定和修改业主大会议事规则")
    MANAGEMENT_COVENANT = 2, _("制定和修改管理规约")
    COMMITTEE = 3, _("选举业主委员会或者更换业主委员会成员")
    MANAGER = 4, _("选聘和解聘物业服务企业或者其他管理人")
    USE_FUND = 5, _("使用建筑物及其附属设施的维修资金")
    RAISE_FUND = 6, _("筹集建筑物及其附属设施的维修资金")
    REBUILD = 7, _("改建、重建建筑物及其附属设施")
    COMMON_PARTS = 8, _("改变共有部分的用途或者利用共有部分从事经营活动")
    OTHER = 9, _("有关共有和共同管理权利的其他重大事项")


# Matters (6)–(8) need three quarters (Civil Code Art. 278 para. 2).
THREE_QUARTER_MATTERS = frozenset({Matter.RAISE_FUND, Matter.REBUILD, Matter.COMMON_PARTS})


class Threshold(models.TextChoices):
    MAJORITY = "majority", _("过半数")
    THREE_QUARTERS = "three_quarters", _("四分之三以上")


class FollowUp(models.TextChoices):
    """Why an election follows another (docs/domain.md §5.4): a tie for the last seat, or seats left empty."""

    RUNOFF = "runoff", _("决选（同票候选人）")
    BY_ELECTION = "by_election", _("补选（空缺名额）")


class VoteStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    NOMINATION = "nomination", _("候选人推荐")
    REVIEW = "review", _("资格审查")
    NOTICE = "notice", _("公示")
    VOTING = "voting", _("投票中")
    COUNTING = "counting", _("计票")
    PRELIMINARY = "preliminary", _("初步结果公示")
    FINAL = "final", _("最终结果公告")
    FILED = "filed", _("已备案")
    CANCELLED = "cancelled", _("已取消")
    FAILED = "failed", _("未通过法定人数")


class TallyState(models.TextChoices):
    IDLE = "idle", _("未计票")
    PENDING = "pending", _("待计票")
    RUNNING = "running", _("计票中")
    DONE = "done", _("已计票")


class Vote(models.Model):
    """One owners' vote of an estate: a committee election or a resolution on one matter."""

    estate = models.ForeignKey(Place, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="votes")
    kind = models.CharField(_("类型"), max_length=24, choices=VoteKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    matter = models.PositiveSmallIntegerField(_("表决事项"), choices=Matter.choices)
    seats = models.PositiveSmallIntegerField(_("应选名额"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=VoteStatus.choices, default=VoteStatus.DRAFT)

    # The day the notice period started: the vote entered ``notice`` in the platform, or an
    # earlier posting on the board backed by a record (``NoticePosting``). Set, never typed.
    notice_starts = models.DateField(_("公示开始日期"), null=True, blank=True)
    notice_days = models.PositiveSmallIntegerField(_("公示天数"))
    opens_at = models.DateTimeField(_("投票开始时间"))
    closes_at = models.DateTimeField(_("投票截止时间"))
    objection_days = models.PositiveSmallIntegerField(_("异议期天数"))

    # The estate's rules of procedure may allow one extension when the quorum fails.
    extension_allowed = models.BooleanField(_("议事规则允许延期"), default=False)
    extended = models.BooleanField(_("已延期"), default=False)
    original_closes_at = models.DateTimeField(_("原定截止时间"), null=True, blank=True)

    # The frozen roll (set when voting opens).
    roll_frozen_at = models.DateTimeField(_("名册冻结时间"), null=True, blank=True)
    roll_total_area = models.DecimalField(_("总面积"), max_digits=14, decimal_places=2, null=True, blank=True)
    roll_total_owners = models.PositiveIntegerField(_("总人数"), null=True, blank=True)

    tally_state = models.CharField(_("计票状态"), max_length=8, choices=TallyState.choices, default=TallyState.IDLE)
    # When the tally became pending or running (the platform's clock): the recovery job
    # (``services.tallies_recover``) sends again a tally left too long in either state.
    tally_since = models.DateTimeField(_("计票状态起始时间"), null=True, blank=True, editable=False)
    # The hash chain's tip (the last link's sequence number and hash) and how many splits the roll
    # has had, kept on the row every append locks: the lock's own read returns them, so a ballot
    # needs no further query under the lock (issue 13). Written only by ``elections.services.links``
    # in the statement that appends a link (``save`` leaves them out; a database trigger refuses
    # moving the tip backwards), and checked against the chain by ``verify_vote``.
    chain_seq = models.PositiveIntegerField(_("哈希链长度"), default=0, editable=False)
    chain_head = models.CharField(_("哈希链头"), max_length=64, default=GENESIS, editable=False)
    split_count = models.PositiveIntegerField(_("名册拆分次数"), default=0, editable=False)
    objection_ends = models.DateField(_("异议期截止"), null=True, blank=True)
    result_date = models.DateField(_("结果产生日期"), null=True, blank=True)
    filing_due = models.DateField(_("备案期限"), null=True, blank=True)
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    filing_reference = models.CharField(_("备案文号"), max_length=100, blank=True)
    cancel_reason = models.TextField(_("取消原因"), blank=True)

    # A run-off among tied candidates, or a by-election for empty seats, follows the election it
    # completes; its winners join that election's committee when it is filed.
    follows = models.ForeignKey(
        "self", verbose_name=_("补充的选举"), on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )
    follow_up = models.CharField(_("补充选举类型"), max_length=12, choices=FollowUp.choices, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("业主投票")
        verbose_name_plural = _("业主投票")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(matter__gte=1, matter__lte=9), name="vote_matter_1_to_9"),
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="vote_closes_after_opens"
            ),
        ]
        indexes = [models.Index(fields=["status", "closes_at"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        """Save, leaving the chain's tip alone: a stale copy of the vote must never move it back."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name not in CHAIN_TIP_FIELDS
            ]
        super().save(*args, **kwargs)

    @property
    def is_election(self) -> bool:
        return self.kind == VoteKind.COMMITTEE_ELECTION

    @property
    def threshold(self) -> str:
        return Threshold.THREE_QUARTERS if self.matter in THREE_QUARTER_MATTERS else Threshold.MAJORITY

    @property
    def passed(self) -> bool | None:
        """Whether a resolution passed, by its latest counted result (``None`` before one, or for an election).

        The result is final only once ``status`` is ``final`` or ``filed`` (see ``is_final``).
        """
        if self.is_election:
            return None
        result = self.current_result
        return None if result is None else bool(result.data.get("passed"))

    @property
    def is_final(self) -> bool:
        return self.status in (VoteStatus.FINAL, VoteStatus.FILED)

    @property
    def latest_result(self) -> VoteResult | None:
        """The last stored result, whatever the vote's state (see ``current_result`` for what to show)."""
        return self.results.order_by("-round").first()

    @property
    def current_result(self) -> VoteResult | None:
        """The result of the vote as it stands: none while it is open (again, after an extension) or not yet
        counted, so that an earlier round's count is never shown as the result."""
        if self.status in (VoteStatus.VOTING, VoteStatus.COUNTING) and self.tally_state != TallyState.DONE:
            return None
        return self.latest_result


class VoteStep(models.Model):
    """One transition of a vote: who moved it, when, from what, to what, and why."""

    vote = models.ForeignKey(Vote, verbose_name=_("投票"), on_delete=models.PROTECT, related_name="steps")
    from_status = models.CharField(_("原状态"), max_length=16, choices=VoteStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=VoteStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(_("时间"))
    reason = models.TextField(_("原因"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "vote__estate__"

    class Meta:
        verbose_name = _("投票步骤")
        verbose_name_plural = _("投票步骤")
        ordering = ["vote_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.vote_id}: {self.from_status} → {self.to_status}"


class GroupBody(models.TextChoices):
    OWNERS = "owners", _("业主代表")
    DEVELOPER = "developer", _("建设单位代表")
    STREET = "street", _("街道代表")
    RESIDENTS_COMMITTEE = "residents_committee", _("居委会代表")
    PARTY = "party", _("社区党组织代表")
    PROPERTY_CENTRE = "property_centre", _("街道物业管理中心代表")
    POLICE = "police", _("派出所代表")


class NoticePosting(AppendOnlyModel):
    """A notice of the vote put up on the estate's board, backed by its record (a photo or a document).

    Where the notice went up before the vote entered ``notice`` in the platform, the notice
    period counts from ``posted_on`` (issue 9 item 9).
    """

    vote = models.ForeignKey(Vote, verbose_name=_("投票"), on_delete=models.PROTECT, related_name="notice_postings")
    posted_on = models.DateField(_("张贴日期"))
    posted_by = models.CharField(_("张贴人"), max_length=100)
    document = models.FileField(_("张贴记录（照片或文件）"), upload_to="elections/notices/%Y/%m/")
    document_type = models.CharField(_("文件类型"), max_length=8)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"))

    objects = ScopedAppendOnlyQuerySet.as_manager()
    scope_path = "vote__estate__"

    class Meta:
        verbose_name = _("公示张贴")
        verbose_name_plural = _("公示张贴")
        ordering = ["vote_id", "posted_on", "pk"]

    def __str__(self) -> str:
        return f"{self.vote_id} · {self.posted_on}"


class TieMethod(models.TextChoices):
    RUNOFF = "runoff", _("决选投票")
    RULES_OF_PROCEDURE = "rules_of_procedure", _("按业主大会议事规则确定")


class TieSettlement(AppendOnlyModel):
    """How a tie for the last seats of an election was settled (docs/domain.md §5.4: reported, never broken silently).

    By a run-off among the tied candidates (a new vote following this one, whose elected fill
    the tied seats once it is final), or by the method the estate's rules of procedure name,
    recorded with that document and the winners it gives.
    """

    vote = models.OneToOneField(Vote, on_delete=models.PROTECT, related_name="tie_settlement")
    method = models.CharField(_("方式"), max_length=20, choices=TieMethod.choices)
    runoff = models.OneToOneField(Vote, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    winners = models.JSONField(_("当选的同票候选人"), default=list, blank=True)
    rule_text = models.TextField(_("议事规则所定方式"), blank=True)
    document = models.FileField(_("议事规则文件"), upload_to="elections/rules/%Y/%m/", blank=True)
    document_type = models.CharField(max_length=8, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("同票处理")
        verbose_name_plural = _("同票处理")

    def __str__(self) -> str:
        return f"{self.vote_id} · {self.method}"


class PreparatoryGroup(models.Model):
    """The preparatory group (筹备组) that organises an election; its list is posted as a notice."""

    vote = models.OneToOneField(Vote, on_delete=models.PROTECT, related_name="preparatory_group")
    posted_at = models.DateTimeField(_("名单公示时间"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_path = "vote__estate__"

    def __str__(self) -> str:
        return f"筹备组 · {self.vote_id}"


class PreparatoryMember(models.Model):
    group = models.ForeignKey(PreparatoryGroup, on_delete=models.PROTECT, related_name="members")
    name = models.CharField(_("姓名"), max_length=100)
    body = models.CharField(_("来源"), max_length=24, choices=GroupBody.choices)
    leads = models.BooleanField(_("组长"), default=False)

    class Meta:
        ordering = ["group_id", "-leads", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.body})"


class NominatedBy(models.TextChoices):
    OWNERS = "owners", _("业主推荐（自荐或联名）")
    RESIDENTS_COMMITTEE = "residents_committee", _("居民委员会推荐")
    PARTY = "party", _("社区党组织推荐")


class Candidate(models.Model):
    """A candidate of a committee election: an owner of the estate, nominated and reviewed."""

    vote = models.ForeignKey(Vote, verbose_name=_("投票"), on_delete=models.PROTECT, related_name="candidates")
    owner = models.ForeignKey("residents.Owner", verbose_name=_("业主"), on_delete=models.PROTECT, related_name="+")
    nominated_by = models.CharField(_("推荐方式"), max_length=24, choices=NominatedBy.choices)
    statement = models.TextField(_("个人陈述"), blank=True)
    # From the party register (the one definition), read at nomination and fixed when voting opens.
    is_party_member = models.BooleanField(_("党员"), default=False)
    # What the nominee said of themself at nomination: shown to reviewers, counted nowhere.
    reported_party_member = models.BooleanField(_("自报党员"), default=False)
    eligible = models.BooleanField(_("资格审查通过"), null=True)
    review_reason = models.TextField(_("审查意见"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审查人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审查时间"), null=True, blank=True)
    nominated_at = models.DateTimeField(_("推荐时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "vote__estate__"

    class Meta:
        verbose_name = _("候选人")
        verbose_name_plural = _("候选人")
        ordering = ["vote_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["vote", "owner"], name="candidate_once_per_vote")]

    def __str__(self) -> str:
        return f"候选人 {self.owner_id} · {self.vote_id}"


class RollEntry(AppendOnlyModel):
    """One counted owner of the roll frozen when voting opened (``frozen``), or one a split added since.

    ``area`` is the area the entry held when it was created; what it holds when its ballot is
    cast (after units changed hands) is carried on the ballot.
    """

    # Indexed by the two unique constraints below, which both lead with the vote.
    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="roll", db_index=False)
    key = models.CharField(max_length=32)
    area = models.DecimalField(max_digits=14, decimal_places=2)
    is_developer = models.BooleanField(default=False)
    # False for an entry a split created during the vote (a buyer who was not on the roll).
    frozen = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "key"], name="roll_entry_key_unique"),
            # What the roll's units and owners point at: (vote, entry) together (migration 0017).
            models.UniqueConstraint(fields=["vote", "id"], name="roll_entry_vote_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id}/{self.key}"


class RollUnit(AppendOnlyModel):
    """A unit of a roll entry, with its area as frozen.

    ``vote`` and ``entry`` are checked by one composite foreign key, ``(vote, entry)`` to the
    entry's ``(vote, id)`` (migration 0017): a row can point neither at a missing entry nor at an
    entry of another vote, at one check per row where two separate keys cost two (issue 13).
    """

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False)
    entry = models.ForeignKey(RollEntry, on_delete=models.PROTECT, related_name="units", db_constraint=False)
    unit = models.ForeignKey("residents.PropertyUnit", on_delete=models.PROTECT, related_name="+")
    area = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "unit"], name="roll_unit_once_per_vote")]

    def __str__(self) -> str:
        return f"{self.vote_id}/{self.entry_id}/{self.unit_id}"


class RollOwner(AppendOnlyModel):
    """An owner of a roll entry (co-owners and buyers of several units share one entry).

    ``(vote, entry)`` is one composite foreign key, as on ``RollUnit``; ``vote`` is indexed by ``(vote, owner)``.
    """

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False)
    entry = models.ForeignKey(RollEntry, on_delete=models.PROTECT, related_name="owners", db_constraint=False)
    owner = models.ForeignKey("residents.Owner", on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["vote", "owner"])]

    def __str__(self) -> str:
        return f"{self.vote_id}/{self.entry_id}/{self.owner_id}"


class RollSplit(AppendOnlyModel):
    """Units of a roll entry that changed hands after the roll froze, moved to their new owner's entry.

    Recorded when a ballot of either side is cast (or when the tally runs), and only while the
    entry giving up the units has no live ballot: a ballot already cast by the previous owner
    stands (docs/domain.md §4). ``new_owner`` says that the target entry was created for the buyer,
    who becomes one more counted owner.
    """

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="roll_splits")
    link = models.OneToOneField("ChainLink", on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(RollEntry, on_delete=models.PROTECT, related_name="splits_out")
    target = models.ForeignKey(RollEntry, on_delete=models.PROTECT, related_name="splits_in")
    new_owner = models.BooleanField(default=False)
    # The buyer's ownership of the first unit moved: the transfer that caused the split.
    transfer = models.ForeignKey("residents.Ownership", on_delete=models.PROTECT, related_name="+")
    area = models.DecimalField(max_digits=14, decimal_places=2)
    at = models.DateTimeField()

    class Meta:
        ordering = ["vote_id", "link_id"]

    def __str__(self) -> str:
        return f"{self.vote_id}: {self.source_id} → {self.target_id}"


class RollSplitUnit(AppendOnlyModel):
    split = models.ForeignKey(RollSplit, on_delete=models.PROTECT, related_name="units")
    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("residents.PropertyUnit", on_delete=models.PROTECT, related_name="+")
    area = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["vote", "unit"])]

    def __str__(self) -> str:
        return f"{self.split_id}/{self.unit_id}"


class Channel(models.TextChoices):
    ONLINE = "online", _("网上投票")
    PHONE = "phone", _("电话投票")
    WECHAT = "wechat", _("微信投票")
    CENTRAL = "central", _("集中投票箱")
    MOBILE_BOX = "mobile_box", _("流动票箱")


PAPER_CHANNELS_ORDERED = (Channel.CENTRAL, Channel.MOBILE_BOX)
PAPER_CHANNELS = frozenset(PAPER_CHANNELS_ORDERED)
STAFF_CHANNELS = frozenset({Channel.PHONE, Channel.WECHAT})


class Choice(models.TextChoices):
    FOR = "for", _("同意")
    AGAINST = "against", _("反对")
    ABSTAIN = "abstain", _("弃权")


class InvalidReason(models.TextChoices):
    """Why a ballot that takes part approves nothing (docs/domain.md §4: it still counts as taking part)."""

    OVER_SEATS = "over_seats", _("所选人数超过应选名额")
    NOT_CANDIDATE = "not_candidate", _("选了非候选人")
    SPOILED = "spoiled", _("空白票或废票")


class Ballot(AppendOnlyModel):
    """One accepted ballot for one counted owner: a link of the vote's hash chain.

    ``voided`` is the only column that ever changes (through ``ballot_void``, with a
    ``BallotVoid`` record and a void link); the partial unique constraint lets one live
    ballot stand per counted owner, so two clerks entering the same owner at once get one
    201 and one 409. ``area_cents`` is the area the ballot covers, in hundredths of a square
    metre: the tally sums integers, exactly, on every database.
    """

    append_only_mutable = ("voided",)

    # No index of its own: (vote, seq) and (vote, entry) lead with it (every ballot writes one entry fewer).
    vote = models.ForeignKey(
        Vote, verbose_name=_("投票"), on_delete=models.PROTECT, related_name="ballots", db_index=False
    )
    seq = models.PositiveIntegerField(_("序号"))
    entry = models.ForeignKey(RollEntry, verbose_name=_("计票业主"), on_delete=models.PROTECT, related_name="ballots")
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    choice = models.CharField(_("选择"), max_length=8, choices=Choice.choices, blank=True)
    approve = models.JSONField(_("同意的候选人"), default=list, blank=True)
    valid = models.BooleanField(_("有效"), default=True)
    invalid_reason = models.CharField(_("无效原因"), max_length=16, choices=InvalidReason.choices, blank=True)
    area_cents = models.BigIntegerField(_("面积（0.01 平方米）"))
    cast_by_owner = models.ForeignKey(
        "residents.Owner", verbose_name=_("投票业主"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    # The registered, accepted proxy who cast it (docs/domain.md §5.3: a proxy holds a written mandate).
    proxy = models.ForeignKey(
        "Proxy", verbose_name=_("受托人"), on_delete=models.PROTECT, null=True, blank=True, related_name="ballots"
    )
    proxy_name = models.CharField(_("受托人姓名"), max_length=100, blank=True)
    paper_serial = models.CharField(_("选票编号"), max_length=40, blank=True)
    # The sealed box a paper ballot came out of (required when it is entered after closing).
    box = models.ForeignKey(
        "BallotBox", verbose_name=_("票箱"), on_delete=models.PROTECT, null=True, blank=True, related_name="ballots"
    )
    reference = models.CharField(_("凭证号"), max_length=100, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    cast_at = models.DateTimeField(_("投票时间"))
    # Unique by a constraint (Meta): as ``unique=True`` PostgreSQL also got a ``LIKE`` index no query uses.
    receipt_hash = models.CharField(_("回执哈希"), max_length=64)
    prev_hash = models.CharField(_("前一哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)
    voided = models.BooleanField(_("已作废"), default=False)

    objects = ScopedAppendOnlyQuerySet.as_manager()
    scope_path = "vote__estate__"

    class Meta:
        verbose_name = _("选票")
        verbose_name_plural = _("选票")
        ordering = ["vote_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "seq"], name="ballot_seq_unique"),
            models.UniqueConstraint(fields=["receipt_hash"], name="ballot_receipt_unique"),
            models.UniqueConstraint(
                fields=["vote", "entry"], condition=models.Q(voided=False), name="ballot_one_live_per_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id}#{self.seq}"


class BallotApproval(models.Model):
    """A candidate approved by a valid election ballot (one row each, for the tally's aggregate)."""

    # Served by (ballot, candidate): no index of its own.
    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="approvals", db_index=False)
    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="approvals")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ballot", "candidate"], name="approval_once")]

    def __str__(self) -> str:
        return f"{self.ballot_id} → {self.candidate_id}"


class BallotVoid(AppendOnlyModel):
    """A supervisor's voiding of a wrongly entered ballot; the re-entry is a new ballot."""

    ballot = models.OneToOneField(Ballot, verbose_name=_("选票"), on_delete=models.PROTECT, related_name="void")
    reason = models.TextField(_("原因"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("作废选票")
        verbose_name_plural = _("作废选票")

    def __str__(self) -> str:
        return f"作废 {self.ballot_id}"


class RefusedBallot(AppendOnlyModel):
    """A ballot that was refused, kept in the log with the reason."""

    vote = models.ForeignKey(Vote, verbose_name=_("投票"), on_delete=models.PROTECT, related_name="refused_ballots")
    entry = models.ForeignKey(
        RollEntry, verbose_name=_("计票业主"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    channel = models.CharField(_("渠道"), max_length=12, blank=True)
    reason = models.CharField(_("原因"), max_length=32)
    message = models.TextField(_("说明"))
    payload = models.JSONField(_("内容"), default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("被拒选票")
        verbose_name_plural = _("被拒选票")
        indexes = [models.Index(fields=["vote", "reason"])]

    def __str__(self) -> str:
        return f"{self.vote_id}: {self.reason}"


class ProxyStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACCEPTED = "accepted", _("已接受")
    REFUSED = "refused", _("不予接受")


class Proxy(models.Model):
    """A written mandate (委托书) by which an owner lets a proxy cast their ballot in one vote.

    Registered with the uploaded mandate and accepted by staff who run the vote before the
    proxy may cast that owner's ballot, online (``user``) or on paper (``name``).
    """

    vote = models.ForeignKey(Vote, verbose_name=_("投票"), on_delete=models.PROTECT, related_name="proxies")
    owner = models.ForeignKey(
        "residents.Owner", verbose_name=_("委托人（业主）"), on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受托人账号"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("受托人姓名"), max_length=100)
    mandate = models.FileField(_("书面委托书"), upload_to="elections/mandates/%Y/%m/")
    mandate_type = models.CharField(_("文件类型"), max_length=8)
    status = models.CharField(_("状态"), max_length=12, choices=ProxyStatus.choices, default=ProxyStatus.PENDING)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    registered_at = models.DateTimeField(_("登记时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审核意见"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "vote__estate__"

    class Meta:
        verbose_name = _("委托投票")
        verbose_name_plural = _("委托投票")
        ordering = ["vote_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["vote", "owner"],
                condition=~models.Q(status="refused"),
                name="proxy_one_mandate_per_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ← {self.owner_id} · {self.vote_id}"


class BallotBox(models.Model):
    """A ballot box (central or mobile) as sealed: when, by whom, before whose eyes.

    Paper ballots cast in time may be entered after voting closes only from a box sealed
    before ``closes_at``, until its entry is declared finished; the tally waits for every
    sealed box to be finished. The sealing is a link of the vote's chain.
    """

    vote = models.ForeignKey(Vote, verbose_name=_("投票"), on_delete=models.PROTECT, related_name="boxes")
    label = models.CharField(_("票箱"), max_length=40)
    channel = models.CharField(_("渠道"), max_length=12, choices=[(c.value, c.label) for c in PAPER_CHANNELS_ORDERED])
    sealed_at = models.DateTimeField(_("封箱时间"))
    sealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("封箱人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    witnesses = models.CharField(_("监票人"), max_length=200, blank=True)
    entry_done_at = models.DateTimeField(_("录入完毕时间"), null=True, blank=True)
    entry_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入完毕确认人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "vote__estate__"

    class Meta:
        verbose_name = _("票箱")
        verbose_name_plural = _("票箱")
        constraints = [models.UniqueConstraint(fields=["vote", "label"], name="ballot_box_label_unique")]

    def __str__(self) -> str:
        return f"{self.vote_id}/{self.label}"


class PaperSerial(models.Model):
    """A paper ballot's serial number: issued, then returned (entered) or void (spoiled)."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="paper_serials")
    serial = models.CharField(max_length=40)
    issued_at = models.DateTimeField()
    void_reason = models.TextField(blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "serial"], name="paper_serial_unique")]

    def __str__(self) -> str:
        return f"{self.vote_id}/{self.serial}"


class VotingCode(models.Model):
    """A one-time voting code of one counted owner (roll entry), delivered sealed; stored only as a keyed hash."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="voting_codes")
    entry = models.ForeignKey(RollEntry, on_delete=models.PROTECT, related_name="voting_codes")
    code_hash = models.CharField(max_length=64)
    issued_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "entry"], name="voting_code_once_per_entry"),
            models.UniqueConstraint(fields=["vote", "code_hash"], name="voting_code_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id}/{self.entry_id}"


class VoteResult(AppendOnlyModel):
    """The stored tally of one counting round; immutable, with a hash of its canonical JSON.

    ``chain_head`` is the hash of the last link of the vote's chain that the round counted.
    """

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="results")
    round = models.PositiveSmallIntegerField(default=1)
    data = models.JSONField()
    hash = models.CharField(max_length=64)
    chain_head = models.CharField(max_length=64)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "round"], name="vote_result_round_unique")]

    def __str__(self) -> str:
        return f"{self.vote_id} round {self.round}"


class LinkKind(models.TextChoices):
    """The links of a vote's hash chain other than ballots (which are links themselves)."""

    ROLL = "roll", _("冻结名册")
    CANDIDATE = "candidate", _("候选人资格")
    VOID = "void", _("作废选票")
    SPLIT = "split", _("名册拆分（房屋转让）")
    SEAL = "seal", _("票箱封存")


class ChainLink(AppendOnlyModel):
    """A link of a vote's hash chain that is not a ballot: the frozen roll (always the first),
    each candidate's eligibility decision, a void, a split of the roll, a sealed ballot box.

    Ballots and these links share one sequence per vote; ``body`` is the link's canonical
    content (``core.hashing``), and ``hash`` covers it together with the previous link's hash.
    """

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="links")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=LinkKind.choices)
    body = models.JSONField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        ordering = ["vote_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["vote", "seq"], name="chain_link_seq_unique")]

    def __str__(self) -> str:
        return f"{self.vote_id}#{self.seq} {self.kind}"


class PublishedHead(AppendOnlyModel):
    """The chain's head as the bulletin published it after each link: its history, kept apart from the chain.

    ``verify_vote`` compares the chain with this history, so that a link removed from the
    end of the chain (even by someone who can disable the triggers) shows.
    """

    # Served by (vote, seq): no index of its own.
    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="published_heads", db_index=False)
    seq = models.PositiveIntegerField()
    head = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        ordering = ["vote_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["vote", "seq"], name="published_head_seq_unique")]

    def __str__(self) -> str:
        return f"{self.vote_id}@{self.seq}"
