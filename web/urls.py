"""The pages people work in; the project includes them at the root (``config/urls.py``)."""

from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from web.views import audit, desk, estate, lists, owner, queue, reports, workspace
from web.views import forms as f

app_name = "web"

urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.ico"), permanent=True), name="favicon"),
    path("mine/", owner.mine, name="mine"),
    path("desk/", desk.desk, name="desk"),
    path("desk/<int:pk>/", desk.vote_desk, name="vote-desk"),
    path("desk/<int:pk>/reconciliation/", desk.reconciliation, name="desk-reconciliation"),
    path("desk/<int:pk>/serials/", desk.print_serials, name="desk-serials"),
    path("turnout/", workspace.turnout, name="turnout"),
    # Lists behind the workspace's figures.
    path("estates/", workspace.estates, name="estates"),
    path("obligations/", lists.obligations, name="obligations"),
    path("petitions/", lists.petitions, name="petitions"),
    path("meetings/", lists.meetings, name="meetings"),
    path("spending/", lists.spending, name="spending-list"),
    # One estate, drilled into: ledger, statements, obligations, votes, meetings, spending, property, projects.
    path("estates/<int:pk>/", estate.estate, name="estate"),
    path("estates/<int:pk>/<slug:tab>/", estate.estate, name="estate-tab"),
    # The committee's forms (each calls one service, which checks the right).
    path("estates/<int:pk>/meetings/new/", f.meeting_new, name="meeting-new"),
    path("meetings/<int:pk>/manage/", f.meeting_manage, name="meeting-manage"),
    path("estates/<int:pk>/ledger/income/", f.income_new, name="income-new"),
    path("ledger/<int:pk>/reverse/", f.transaction_reverse, name="transaction-reverse"),
    path("ledger/<int:pk>/voucher/", f.voucher, name="voucher"),
    path("estates/<int:pk>/statements/new/", f.statement_new, name="statement-new"),
    path("estates/<int:pk>/spending/new/", f.spending_new, name="spending-new"),
    path("spending/<int:pk>/", f.spending_detail, name="spending"),
    path("estates/<int:pk>/contracts/new/", f.contract_new, name="contract-new"),
    path("contracts/<int:pk>/", f.contract_detail, name="contract"),
    path("projects/<int:pk>/", f.project_detail, name="project"),
    # The supervision group's and the discipline reviewer's queue.
    path("queue/", queue.queue, name="queue"),
    # The auditor's reports and the audit trail.
    path("reports/", reports.reports, name="reports"),
    path("reports/<int:pk>/", reports.report_detail, name="report"),
    path("reports/<int:pk>/progress/", reports.report_progress, name="report-progress"),
    path("reports/<int:pk>/download/", reports.report_download, name="report-download"),
    path("audit/", audit.trail, name="audit-trail"),
    path("audit/export/", audit.export, name="audit-export"),
]
