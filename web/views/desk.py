"""The clerk's desk: for each vote, issue and print paper serials and voting-code slips, seal the ballot boxes,
enter paper ballots by keyboard, watch the reconciliation live; a supervisor voids a wrong entry from here.

Every write is one ``elections.services`` function called with ``request.user``; the service checks the
right (entering: the clerk or whoever runs the vote; voiding: whoever runs the vote).
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from elections import selectors, services
from elections.models import (
    PAPER_CHANNELS_ORDERED,
    Ballot,
    BallotBox,
    Candidate,
    Channel,
    PaperSerial,
    TallyState,
    Vote,
    VoteStatus,
)
from elections.rights import may_enter_ballots
from elections.views import SPOILED_MARKS, _paper_marks, _unit_by_label
from governance.scoping import EVERYWHERE, Action, can, scope_filter
from web.forms import PageForm
from web.nav import needs

ISSUE_LIMIT = 2000  # serials issued at once: a building's worth of ballot papers, not a typo's millions


def _enterable_votes(user):
    """Votes whose ballots ``user`` may enter now: open, or closed with sealed boxes still being entered."""
    q = Q(pk__in=[])
    for action in (Action.ENTER_BALLOT, Action.RUN_VOTE):
        f = scope_filter(Vote, user, action)
        if f is EVERYWHERE:
            q = Q()
            break
        q |= f
    return Vote.objects.filter(q).filter(
        Q(status=VoteStatus.VOTING) | Q(status=VoteStatus.COUNTING, tally_state=TallyState.PENDING)
    )


@needs("enter_ballots")
def desk(request):
    """``/desk/``: the votes the clerk works on today."""
    votes = list(_enterable_votes(request.user).select_related("estate").order_by("closes_at", "pk")[:50])
    return render(request, "web/desk.html", {"votes": votes})


def serial_range(prefix: str, first: int, last: int, width: int) -> list[str]:
    """``A``, 1, 3, 4 → ``A0001``, ``A0002``, ``A0003``."""
    return [f"{prefix}{n:0{width}d}" for n in range(first, last + 1)]


class IssueForm(PageForm):
    FIELD_OF_CODE = {"serial_duplicate": "first", "serial_exists": "first"}

    prefix = forms.CharField(label=gettext_lazy("编号前缀"), max_length=10, required=False, initial="A")
    first = forms.IntegerField(label=gettext_lazy("起始号"), min_value=0, initial=1)
    last = forms.IntegerField(label=gettext_lazy("结束号"), min_value=0)
    width = forms.IntegerField(label=gettext_lazy("号码位数"), min_value=1, max_value=8, initial=4)

    def clean(self):
        data = super().clean()
        if data.get("first") is not None and data.get("last") is not None:
            if data["last"] < data["first"]:
                self.add_error("last", _("结束号不能小于起始号。"))
            elif data["last"] - data["first"] + 1 > ISSUE_LIMIT:
                self.add_error("last", _("一次最多发放 %(n)d 张。") % {"n": ISSUE_LIMIT})
        return data

    def serials(self) -> list[str]:
        d = self.cleaned_data
        return serial_range(d["prefix"].strip(), d["first"], d["last"], d["width"])


class SealForm(PageForm):
    FIELD_OF_CODE = {"label_required": "label", "box_exists": "label", "channel_invalid": "channel"}

    label = forms.CharField(label=gettext_lazy("票箱编号"), max_length=40)
    channel = forms.ChoiceField(
        label=gettext_lazy("票箱类型"), choices=[(c.value, c.label) for c in PAPER_CHANNELS_ORDERED]
    )
    witnesses = forms.CharField(label=gettext_lazy("监票人"), max_length=200, required=False)


class EntryForm(PageForm):
    """Serial first, then the unit by its short form, then the marks; Enter sends it."""

    FIELD_OF_CODE = {
        "serial_unknown": "serial",
        "serial_void": "serial",
        "serial_used": "serial",
        "serial_late": "serial",
        "duplicate": "unit",
        "not_on_roll": "unit",
        "box_unknown": "box",
        "box_finished": "box",
        "box_required": "box",
        "box_sealed_late": "box",
        "over_seats": "marks",
        "choice_required": "marks",
        "approve_not_allowed": "marks",
        "proxy_not_registered": "proxy",
        "previous_owner_voted": "unit",
        "serial_required": "serial",
        "spoiled_with_marks": "marks",
        "duplicate_approval": "marks",
    }

    serial = forms.CharField(label=gettext_lazy("选票编号"), max_length=40)
    unit = forms.CharField(
        label=gettext_lazy("房屋"), max_length=60, help_text=gettext_lazy("如 1栋-101 或 1栋-2单元-101")
    )
    marks = forms.CharField(label=gettext_lazy("选票内容"), max_length=200, required=False)
    spoiled = forms.BooleanField(label=gettext_lazy("废票（空白或无法辨认，计入参与人数）"), required=False)
    proxy = forms.CharField(
        label=gettext_lazy("受托人（委托投票时填写已登记的受托人姓名）"), max_length=100, required=False
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("投票方式"), choices=[(c.value, c.label) for c in PAPER_CHANNELS_ORDERED]
    )
    box = forms.ChoiceField(label=gettext_lazy("票箱"), required=False)

    def __init__(self, *args, vote: Vote, boxes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["marks"].help_text = (
            _("勾选的候选人序号，空格分隔；0 为空白票")
            if vote.is_election
            else _("1 同意 · 2 反对 · 3 弃权；0 为空白票")
        )
        self.fields["box"].choices = [("", "—"), *((b.label, b.label) for b in boxes)]
        for name, widget_attrs in (
            ("serial", {"autofocus": True, "autocomplete": "off", "inputmode": "text"}),
            ("unit", {"autocomplete": "off"}),
            ("marks", {"autocomplete": "off", "inputmode": "numeric"}),
            ("proxy", {"autocomplete": "off"}),
        ):
            self.fields[name].widget.attrs.update(widget_attrs)


class VoidForm(PageForm):
    FIELD_OF_CODE = {"reason_required": "reason", "already_void": "reason", "wrong_status": "reason"}

    ballot = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("作废原因"), max_length=300)


def _vote_for_desk(request, pk: int) -> Vote:
    vote = get_object_or_404(Vote.objects.select_related("estate"), pk=pk)
    if not may_enter_ballots(request.user, vote.estate):
        raise Http404
    return vote


def _recent(vote: Vote, limit: int = 15) -> list[dict]:
    """The paper ballots entered last, newest first, named by their units (never by an owner or a key)."""
    ballots = list(
        Ballot.objects.filter(vote=vote)
        .exclude(paper_serial="")
        .select_related("entered_by__person", "box")
        .order_by("-seq")[:limit]
    )
    labels = selectors.unit_labels(vote, [b.entry_id for b in ballots])
    return [{"ballot": b, "units": "、".join(labels.get(b.entry_id, []))} for b in ballots]


def _reconciliation(vote: Vote) -> dict:
    figures = selectors.paper_reconciliation(vote)
    return {**figures, "outstanding_count": len(figures["outstanding"])}


def _entry_kwargs(vote: Vote, form: EntryForm, candidates: list[Candidate]) -> dict | None:
    """The service's arguments from what the clerk typed; ``None`` (and an error by the field) if unreadable."""
    data = form.cleaned_data
    unit = _unit_by_label(vote, data["unit"])
    if unit is None:
        form.add_error("unit", _("找不到房屋“%(u)s”，请按“1栋-101”或“1栋-2单元-101”的格式输入。") % {"u": data["unit"]})
        return None
    marks = re.split(r"[\s,，、]+", data["marks"].strip()) if data["marks"].strip() else []
    number_of = {i + 1: c.pk for i, c in enumerate(candidates)}
    kwargs = _paper_marks(vote, marks, number_of, spoiled=data["spoiled"])
    if kwargs is None:
        form.add_error("marks", _("请输入所选内容；空白票或废票请勾选“废票”或输入 0。"))
        return None
    return {
        "unit_id": unit.pk,
        "paper_serial": data["serial"],
        "box": data["box"],
        "proxy_name": data["proxy"],
        "channel": data["channel"],
        "_unit": unit,
        **kwargs,
    }


@needs("enter_ballots")
def vote_desk(request, pk: int):
    """``/desk/<vote>/``: the clerk's work on one vote, all on one page, in the order the day goes.

    Longer than our 80 lines on purpose: one page holds five forms (serials, box, entry, void, finish), and after
    a refused step the page renders again with every form as it was; the steps are one service call each, and
    dispatching them here keeps that shared form state in one place rather than threaded through five helpers.
    """
    vote = _vote_for_desk(request, pk)
    candidates = list(Candidate.objects.filter(vote=vote, eligible=True).select_related("owner__person").order_by("pk"))
    boxes = list(vote.boxes.order_by("label"))
    open_boxes = [b for b in boxes if b.entry_done_at is None]
    channel = request.session.get("elections_paper_channel", Channel.CENTRAL)
    last_box = request.session.get("web_desk_box", "")
    forms_ = {
        "issue": IssueForm(prefix="issue"),
        "seal": SealForm(prefix="seal", initial={"channel": channel}),
        "entry": EntryForm(vote=vote, boxes=open_boxes, prefix="e", initial={"channel": channel, "box": last_box}),
        "void": VoidForm(prefix="void"),
    }
    status = 200
    if request.method == "POST":
        step = request.POST.get("step", "")
        try:
            if step == "issue":
                form = forms_["issue"] = IssueForm(request.POST, prefix="issue")
                if form.is_valid():
                    n = services.paper_serials_issue(vote=vote, serials=form.serials(), actor=request.user)
                    messages.success(request, _("已发放选票编号 %(n)d 个。") % {"n": n})
                    d = form.cleaned_data
                    query = f"?prefix={d['prefix']}&first={d['first']}&last={d['last']}&width={d['width']}"
                    request.session["web_desk_print"] = query
                    return redirect("web:vote-desk", pk=vote.pk)
            elif step == "seal":
                form = forms_["seal"] = SealForm(request.POST, prefix="seal")
                if form.is_valid():
                    box = services.ballot_box_seal(vote=vote, actor=request.user, **form.cleaned_data)
                    messages.success(request, _("票箱“%(b)s”已封箱登记。") % {"b": box.label})
                    return redirect("web:vote-desk", pk=vote.pk)
            elif step == "finish":
                box = get_object_or_404(BallotBox, vote=vote, pk=request.POST.get("box", "0"))
                services.ballot_box_finish(box=box, actor=request.user)
                messages.success(request, _("票箱“%(b)s”已录入完毕。") % {"b": box.label})
                return redirect("web:vote-desk", pk=vote.pk)
            elif step == "enter":
                form = forms_["entry"] = EntryForm(request.POST, vote=vote, boxes=open_boxes, prefix="e")
                if form.is_valid():
                    request.session["elections_paper_channel"] = form.cleaned_data["channel"]
                    request.session["web_desk_box"] = form.cleaned_data["box"]
                    kwargs = _entry_kwargs(vote, form, candidates)
                    if kwargs is not None:
                        unit = kwargs.pop("_unit")
                        ballot = services.ballot_cast(vote=vote, actor=request.user, **kwargs)
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
                        return redirect("web:vote-desk", pk=vote.pk)
            elif step == "void":
                form = forms_["void"] = VoidForm(request.POST, prefix="void")
                if form.is_valid():
                    ballot = get_object_or_404(Ballot, vote=vote, pk=form.cleaned_data["ballot"])
                    services.ballot_void(ballot=ballot, reason=form.cleaned_data["reason"], actor=request.user)
                    messages.success(request, _("第 %(n)d 张选票已作废，可重新录入。") % {"n": ballot.seq})
                    return redirect("web:vote-desk", pk=vote.pk)
            else:
                raise Http404
        except ApplicationError as exc:
            target = forms_.get({"finish": "seal"}.get(step, step)) or forms_["entry"]
            target.refuse(exc)
            status = exc.status
        else:
            status = 400
    print_query = request.session.pop("web_desk_print", "")
    return render(
        request,
        "web/vote_desk.html",
        {
            "vote": vote,
            "candidates": candidates,
            "boxes": boxes,
            "forms": forms_,
            "recent": _recent(vote),
            "rec": _reconciliation(vote),
            "may_run": can(request.user, Action.RUN_VOTE, vote.estate),
            "print_query": print_query,
            "spoiled_marks": sorted(SPOILED_MARKS),
        },
        status=status,
    )


@needs("enter_ballots")
def reconciliation(request, pk: int):
    """The serials' reconciliation as the desk shows it, refreshed every few seconds."""
    vote = _vote_for_desk(request, pk)
    rec = _reconciliation(vote)
    return JsonResponse(
        {
            "issued": f"{rec['issued']:,}",
            "returned": f"{rec['returned']:,}",
            "spoiled": f"{rec['spoiled']:,}",
            "void": f"{rec['void']:,}",
            "outstanding": f"{rec['outstanding_count']:,}",
        }
    )


@needs("enter_ballots")
def print_serials(request, pk: int):
    """Serial labels to print on the ballot papers, one per paper, for the range just issued."""
    vote = _vote_for_desk(request, pk)
    try:
        first, last, width = (int(request.GET.get(k, "")) for k in ("first", "last", "width"))
    except ValueError as exc:
        raise Http404 from exc
    wanted = serial_range(request.GET.get("prefix", "")[:10], first, min(last, first + ISSUE_LIMIT - 1), min(width, 8))
    issued = list(
        PaperSerial.objects.filter(vote=vote, serial__in=wanted).order_by("serial").values_list("serial", flat=True)
    )
    return render(request, "web/serials_print.html", {"vote": vote, "serials": issued})
