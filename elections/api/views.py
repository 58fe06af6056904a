"""The integration API of owners' votes: every write calls one service of ``elections.services``."""

from django.db.models import Prefetch, Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from core.clientip import client_ip
from core.errors import Conflict
from core.schema import error_response, file_responses
from core.uploads import DEFAULTS as UPLOAD_LIMITS
from elections import selectors, services
from elections.api.serializers import (
    BallotBoxSealSerializer,
    BallotBoxSerializer,
    BallotCastSerializer,
    BallotReceiptSerializer,
    BallotSerializer,
    BallotVoidResultSerializer,
    BulletinSerializer,
    ByElectionSerializer,
    CandidateCreateSerializer,
    CandidateSerializer,
    ExtendSerializer,
    FollowUpWindowSerializer,
    NoticePostingInputSerializer,
    NoticePostingSerializer,
    PaginatedBallotSerializer,
    PaperReconciliationSerializer,
    PaperSerialsSerializer,
    PaperSerialVoidSerializer,
    PreparatoryGroupInputSerializer,
    PreparatoryGroupSerializer,
    ProxyDecisionSerializer,
    ProxyRegisterSerializer,
    ProxySerializer,
    ReviewSerializer,
    TieSettlementInputSerializer,
    TieSettlementSerializer,
    TransitionSerializer,
    VoidSerializer,
    VoteCreateSerializer,
    VoteSerializer,
    VoteStepSerializer,
    VotingCodeSheetSerializer,
)
from elections.models import (
    Ballot,
    BallotBox,
    Candidate,
    PreparatoryGroup,
    Proxy,
    ProxyStatus,
    Vote,
    VoteResult,
    VoteStatus,
)
from elections.rights import may_read_entry_log, require_entry_log
from elections.services.ballots import BALLOT_VOTE_FIELDS
from governance.api.viewsets import ScopedViewSetMixin
from governance.scoping import Action


class VoteFilter(filters.FilterSet):
    class Meta:
        model = Vote
        fields = ["estate", "kind", "status", "matter"]


class VoteViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Owners' votes of the estates in the user's scope, and every step of their lifecycle.

    Residents, clerks and auditors read; community secretaries and street staff run votes;
    clerks enter paper ballots; a resident casts only their own ballot (or as proxy).
    """

    queryset = Vote.objects.select_related("estate").prefetch_related(
        Prefetch("results", queryset=VoteResult.objects.order_by("round"), to_attr="prefetched_results")
    )
    serializer_class = VoteSerializer
    filterset_class = VoteFilter
    read_action = Action.VIEW_PUBLIC
    ordering_fields = ["opens_at", "closes_at", "id"]

    def also_visible(self, user):
        """A proxy from outside the estate sees the votes in which their mandate was accepted."""
        if not user.is_authenticated:
            return None
        return Q(pk__in=Proxy.objects.filter(user_id=user.pk, status=ProxyStatus.ACCEPTED).values("vote_id"))

    def _vote(self, only: tuple[str, ...] = ()) -> Vote:
        """The vote an action works on, scoped as the list is, without the results the list prefetches
        (one query less on every ballot cast: ``VoteSerializer`` reads them itself when it needs them);
        with ``only`` its columns, when the action reads no others."""
        queryset = self.get_queryset().prefetch_related(None)
        if only:
            queryset = queryset.only(*only)
        # DRF's helper: a malformed id answers 404 like a missing one.
        vote = generics.get_object_or_404(queryset, pk=self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        self.check_object_permissions(self.request, vote)
        return vote

    @extend_schema(request=VoteCreateSerializer, responses={201: VoteSerializer})
    def create(self, request):
        serializer = VoteCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        vote = services.vote_create(actor=request.user, **serializer.validated_data)
        return Response(VoteSerializer(vote).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=PreparatoryGroupSerializer)
    @extend_schema(
        methods=["POST"], request=PreparatoryGroupInputSerializer, responses={201: PreparatoryGroupSerializer}
    )
    @action(detail=True, methods=["get", "post"], url_path="preparatory-group")
    def preparatory_group(self, request, pk=None):
        vote = self._vote()
        if request.method == "GET":
            group = get_object_or_404(PreparatoryGroup.objects.prefetch_related("members"), vote=vote)
            return Response(PreparatoryGroupSerializer(group).data)
        serializer = PreparatoryGroupInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = services.preparatory_group_record(
            vote=vote, members=serializer.validated_data["members"], actor=request.user
        )
        return Response(PreparatoryGroupSerializer(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=CandidateSerializer(many=True))
    @extend_schema(methods=["POST"], request=CandidateCreateSerializer, responses={201: CandidateSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def candidates(self, request, pk=None):
        vote = self._vote()
        if request.method == "GET":
            rows = Candidate.objects.filter(vote=vote).select_related("owner__person").order_by("pk")
            return Response(CandidateSerializer(rows, many=True).data)
        serializer = CandidateCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        candidate = services.candidate_nominate(vote=vote, actor=request.user, **serializer.validated_data)
        return Response(CandidateSerializer(candidate).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSerializer, responses=CandidateSerializer)
    @action(detail=True, methods=["post"], url_path=r"candidates/(?P<candidate_id>\d+)/review")
    def review(self, request, pk=None, candidate_id=None):
        vote = self._vote()
        candidate = get_object_or_404(
            Candidate.objects.select_related("vote__estate", "owner__person"), vote=vote, pk=candidate_id
        )
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        candidate = services.candidate_review(candidate=candidate, actor=request.user, **serializer.validated_data)
        return Response(CandidateSerializer(candidate).data)

    @extend_schema(request=TransitionSerializer, responses=VoteSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        vote = self._vote()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vote = services.vote_transition(vote=vote, actor=request.user, **serializer.validated_data)
        return Response(VoteSerializer(vote).data)

    @extend_schema(request=None, responses={202: VoteSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        vote = services.vote_close(vote=self._vote(), actor=request.user)
        return Response(VoteSerializer(vote).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ExtendSerializer, responses=VoteSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        serializer = ExtendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vote = services.vote_extend(vote=self._vote(), actor=request.user, **serializer.validated_data)
        return Response(VoteSerializer(vote).data)

    @extend_schema(methods=["GET"], responses=PaginatedBallotSerializer)
    @extend_schema(methods=["POST"], request=BallotCastSerializer, responses={201: BallotReceiptSerializer})
    @action(detail=True, methods=["get", "post"])
    def ballots(self, request, pk=None):
        if request.method == "GET":
            vote = self._vote()
            require_entry_log(request.user, vote.estate)
            rows = Ballot.objects.filter(vote=vote).select_related("entry").order_by("seq")
            page = self.paginate_queryset(rows)
            return self.get_paginated_response(BallotSerializer(page, many=True).data)
        vote = self._vote(only=BALLOT_VOTE_FIELDS)  # what the service reads, as it takes it (``vote_read_now``)
        serializer = BallotCastSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        proxy = data.get("proxy") or {}
        ballot = services.ballot_cast(
            vote=vote,
            channel=data["channel"],
            actor=request.user,
            owner_id=data.get("owner"),
            unit_id=data.get("unit"),
            approve=data["approve"],
            choice=data["choice"],
            proxy_id=proxy.get("id"),
            proxy_name=proxy.get("name", ""),
            paper_serial=data["paper_serial"],
            box=data["box"],
            spoiled=data["spoiled"],
            write_in=data["write_in"],
            reference=data["reference"],
            voting_code=data["voting_code"] or None,
            client=client_ip(request),
            vote_read_now=True,  # read above for this ballot: the service need not read it again
        )
        return Response(
            {
                "receipt": ballot.receipt,
                "receipt_hash": ballot.receipt_hash,
                "ballot": ballot.pk,
                "seq": ballot.seq,
                "valid": ballot.valid,
                "hash": ballot.hash,
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(methods=["GET"], responses=NoticePostingSerializer(many=True))
    @extend_schema(methods=["POST"], request=NoticePostingInputSerializer, responses={201: NoticePostingSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="notice-postings",
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
    )
    def notice_postings(self, request, pk=None):
        """The notice's postings on the board; record one, with its photo or document (staff who run the vote)."""
        vote = self._vote()
        if request.method == "GET":
            return Response(NoticePostingSerializer(vote.notice_postings.order_by("posted_on"), many=True).data)
        serializer = NoticePostingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        posting = services.vote_notice_post(vote=vote, actor=request.user, **serializer.validated_data)
        return Response(NoticePostingSerializer(posting).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FollowUpWindowSerializer, responses={201: VoteSerializer})
    @action(detail=True, methods=["post"])
    def runoff(self, request, pk=None):
        """Call a run-off among the candidates tied for the last seats (staff who run the vote)."""
        serializer = FollowUpWindowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        runoff = services.election_runoff_create(vote=self._vote(), actor=request.user, **serializer.validated_data)
        return Response(VoteSerializer(runoff).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ByElectionSerializer, responses={201: VoteSerializer})
    @action(detail=True, methods=["post"], url_path="by-election")
    def by_election(self, request, pk=None):
        """Call a by-election for seats the election left empty."""
        serializer = ByElectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vote = services.election_by_election_create(vote=self._vote(), actor=request.user, **serializer.validated_data)
        return Response(VoteSerializer(vote).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TieSettlementInputSerializer, responses={201: TieSettlementSerializer})
    @action(detail=True, methods=["post"], url_path="tie-settlement", parser_classes=[MultiPartParser, FormParser])
    def tie_settlement(self, request, pk=None):
        """Record the tied winners the estate's rules of procedure give, with the rules' document."""
        serializer = TieSettlementInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        settlement = services.election_tie_settle(vote=self._vote(), actor=request.user, **serializer.validated_data)
        return Response(TieSettlementSerializer(settlement).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=BallotBoxSerializer(many=True))
    @extend_schema(methods=["POST"], request=BallotBoxSealSerializer, responses={201: BallotBoxSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def boxes(self, request, pk=None):
        """The vote's sealed ballot boxes; record a box sealed now (clerks and staff)."""
        vote = self._vote()
        if request.method == "GET":
            require_entry_log(request.user, vote.estate)
            return Response(BallotBoxSerializer(vote.boxes.order_by("pk"), many=True).data)
        serializer = BallotBoxSealSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        box = services.ballot_box_seal(vote=vote, actor=request.user, **serializer.validated_data)
        return Response(BallotBoxSerializer(box).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=BallotBoxSerializer)
    @action(detail=True, methods=["post"], url_path=r"boxes/(?P<box_id>\d+)/finish")
    def box_finish(self, request, pk=None, box_id=None):
        """Declare a sealed box's ballots all entered (the tally waits for every box)."""
        vote = self._vote()
        box = get_object_or_404(BallotBox.objects.filter(vote=vote), pk=box_id)
        box = services.ballot_box_finish(box=box, actor=request.user)
        return Response(BallotBoxSerializer(box).data)

    @extend_schema(methods=["GET"], responses=ProxySerializer(many=True))
    @extend_schema(methods=["POST"], request=ProxyRegisterSerializer, responses={201: ProxySerializer})
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser], pagination_class=None)
    def proxies(self, request, pk=None):
        """The vote's registered proxies (staff see all; others those they gave, hold or registered); register one."""
        vote = self._vote()
        if request.method == "GET":
            rows = selectors.proxies_visible(vote, request.user).select_related("owner__person")
            return Response(ProxySerializer(rows, many=True).data)
        serializer = ProxyRegisterSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        proxy = services.proxy_register(vote=vote, actor=request.user, **serializer.validated_data)
        return Response(ProxySerializer(proxy).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProxyDecisionSerializer, responses=ProxySerializer)
    @action(detail=True, methods=["post"], url_path=r"proxies/(?P<proxy_id>\d+)/decide")
    def proxy_decide(self, request, pk=None, proxy_id=None):
        """Accept a registered proxy (staff who run the vote), or refuse it with a reason."""
        vote = self._vote()
        proxy = get_object_or_404(selectors.proxies_visible(vote, request.user), pk=proxy_id)
        serializer = ProxyDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proxy = services.proxy_decide(proxy=proxy, actor=request.user, **serializer.validated_data)
        return Response(ProxySerializer(proxy).data)

    @extend_schema(responses=file_responses(*sorted(UPLOAD_LIMITS["mandate"].types)))
    @action(detail=True, methods=["get"], url_path=r"proxies/(?P<proxy_id>\d+)/mandate")
    def proxy_mandate(self, request, pk=None, proxy_id=None):
        """The written mandate as uploaded (staff and auditors; the reading is recorded)."""
        vote = self._vote()
        proxy = get_object_or_404(selectors.proxies_visible(vote, request.user), pk=proxy_id)
        handle, content_type = services.proxy_mandate_open(proxy=proxy, actor=request.user)
        return FileResponse(handle, content_type=content_type, as_attachment=True)

    @extend_schema(request=VoidSerializer, responses={201: BallotVoidResultSerializer})
    @action(detail=True, methods=["post"], url_path=r"ballots/(?P<ballot_id>\d+)/void")
    def void(self, request, pk=None, ballot_id=None):
        vote = self._vote()
        ballot = get_object_or_404(Ballot.objects.select_related("vote__estate"), vote=vote, pk=ballot_id)
        serializer = VoidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        void = services.ballot_void(ballot=ballot, reason=serializer.validated_data["reason"], actor=request.user)
        return Response({"ballot": ballot.pk, "reason": void.reason, "at": void.at}, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=PaperReconciliationSerializer)
    @extend_schema(methods=["POST"], request=PaperSerialsSerializer, responses={201: PaperReconciliationSerializer})
    @action(detail=True, methods=["get", "post"], url_path="paper-serials")
    def paper_serials(self, request, pk=None):
        """Paper serials issued, returned, spoiled, void and outstanding (staff and auditors); issue more."""
        vote = self._vote()
        if request.method == "GET":
            require_entry_log(request.user, vote.estate)
        if request.method == "POST":
            serializer = PaperSerialsSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.paper_serials_issue(vote=vote, serials=serializer.validated_data["serials"], actor=request.user)
        return Response(
            selectors.paper_reconciliation(vote),
            status=status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK,
        )

    @extend_schema(request=PaperSerialVoidSerializer, responses=PaperReconciliationSerializer)
    @action(detail=True, methods=["post"], url_path="paper-serials/void")
    def paper_serial_void(self, request, pk=None):
        """Void an issued serial that never reached an owner (a spoiled ballot returned is entered instead)."""
        vote = self._vote()
        serializer = PaperSerialVoidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.paper_serial_void(vote=vote, actor=request.user, **serializer.validated_data)
        return Response(selectors.paper_reconciliation(vote))

    @extend_schema(request=None, responses={201: VotingCodeSheetSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="voting-codes", pagination_class=None)
    def voting_codes(self, request, pk=None):
        """Issue the codes of the counted owners that have none; returned once, as sheets of slips per building."""
        vote = self._vote()
        issued = dict(services.voting_codes_issue(vote=vote, actor=request.user))
        sheets = selectors.voting_code_sheets(vote, issued)
        return Response(VotingCodeSheetSerializer(sheets, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 409: error_response(409)})
    @action(detail=True, methods=["get"])
    def result(self, request, pk=None):
        """The vote's result once counted; while voting (again, after an extension) only the turnout so far."""
        vote = self._vote()
        result = vote.current_result
        if result is None:
            if vote.status in (VoteStatus.VOTING, VoteStatus.COUNTING):
                return Response(
                    {"vote": vote.pk, "status": vote.status, "counted": False, "turnout": selectors.turnout(vote)}
                )
            raise Conflict(_("尚未计票完成。"), code="not_counted")
        body = {
            "vote": vote.pk,
            "status": vote.status,
            "counted": True,
            "round": result.round,
            "computed_at": result.computed_at,
            "hash": result.hash,
            "chain_head": result.chain_head,
            **result.data,
            "refused": selectors.refused_counts(vote),
        }
        return Response(body)

    @extend_schema(responses=BulletinSerializer)
    @action(detail=True, methods=["get"])
    def bulletin(self, request, pk=None):
        return Response(selectors.bulletin(self._vote()))

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        vote = self._vote()
        response = HttpResponse(
            services.vote_export(vote=vote, actor=request.user), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="vote-{vote.pk}.csv"'
        return response

    @extend_schema(responses=VoteStepSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def steps(self, request, pk=None):
        """The vote's lifecycle; who moved it is named to staff and auditors only."""
        vote = self._vote()
        context = {"show_actor": may_read_entry_log(request.user, vote.estate)}
        return Response(VoteStepSerializer(vote.steps.select_related("actor"), many=True, context=context).data)
