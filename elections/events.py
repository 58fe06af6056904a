"""Audit event types of the voting engine."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.audit import event_types


@event_types
class ElectionsEvent(models.TextChoices):
    VOTE_CREATE = "vote.create", _("发起投票")
    VOTE_TRANSITION = "vote.transition", _("投票进入下一阶段")
    VOTE_EXTEND = "vote.extend", _("投票延期")
    VOTE_NOTICE_POST = "vote.notice_post", _("登记公示张贴")
    ELECTION_RUNOFF = "election.runoff", _("组织决选")
    ELECTION_TIE_SETTLE = "election.tie_settle", _("按议事规则确定同票当选人")
    ELECTION_BY_ELECTION = "election.by_election", _("组织补选")
    VOTE_TALLY = "vote.tally", _("计票")
    VOTE_TALLY_RECOVER = "vote.tally_recover", _("重新发起中断的计票")
    VOTE_EXPORT = "vote.export", _("导出投票记录")
    PREPARATORY_GROUP_RECORD = "preparatory_group.record", _("登记筹备组")
    CANDIDATE_NOMINATE = "candidate.nominate", _("推荐候选人")
    CANDIDATE_REVIEW = "candidate.review", _("资格审查")
    BALLOT_CAST = "ballot.cast", _("投票")
    BALLOT_VOID = "ballot.void", _("作废选票")
    PAPER_SERIAL_ISSUE = "paper_serial.issue", _("发放纸质选票")
    PAPER_SERIAL_VOID = "paper_serial.void", _("作废纸质选票编号")
    VOTING_CODE_ISSUE = "voting_code.issue", _("发放投票码")
    BALLOT_BOX_SEAL = "ballot_box.seal", _("票箱封箱")
    BALLOT_BOX_FINISH = "ballot_box.finish", _("票箱录入完毕")
    PROXY_REGISTER = "proxy.register", _("登记委托投票")
    PROXY_DECIDE = "proxy.decide", _("审核委托投票")
    PROXY_MANDATE_READ = "proxy.mandate_read", _("查看书面委托书")
