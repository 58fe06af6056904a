"""Notices: in the platform and by e-mail when an obligation is created, due in 3 days or overdue; digests; opt-out."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from governance.scoping import SYSTEM
from oversight import services
from oversight.models import Notice, NoticeKind, NoticePreference, Obligation, ObligationState
from oversight.tests.factories import assembly, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretary(cast):
    user = cast["secretary_a"]
    user.email = "li.hong@example.invalid"
    user.save(update_fields=["email"])
    return user


def test_an_obligation_due_in_three_days_warns_once(world, secretary, django_capture_on_commit_callbacks):
    (obligation,) = services.obligations_for_meeting(meeting=assembly(world["estate_a"], days_ago(0)), actor=SYSTEM)
    assert obligation.due_on == days_ago(-3)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.obligations_sweep(actor=SYSTEM)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.obligations_sweep(actor=SYSTEM)
    assert (first.due_soon, second.due_soon) == (1, 0)
    assert Notice.objects.filter(user=secretary, kind=NoticeKind.OBLIGATION_DUE_SOON).count() == 1
    assert [m.subject for m in mail.outbox] == ["【共治】" + Notice.objects.get(kind="obligation_due_soon").title]


def test_an_obligation_due_later_gives_no_warning_yet(world, secretary):
    services.obligations_for_meeting(meeting=assembly(world["estate_a"], days_ago(-5)), actor=SYSTEM)
    assert services.obligations_sweep(actor=SYSTEM).due_soon == 0


def test_a_user_who_turned_email_off_keeps_the_notice_but_gets_no_mail(
    world, secretary, django_capture_on_commit_callbacks
):
    services.notice_preference_set(user=secretary, email=False, actor=secretary)
    with django_capture_on_commit_callbacks(execute=True):
        services.obligations_for_meeting(meeting=assembly(world["estate_a"], days_ago(-10)), actor=SYSTEM)
    assert Notice.objects.filter(user=secretary, kind=NoticeKind.OBLIGATION_CREATED).exists()
    assert mail.outbox == []


def test_nobody_sets_another_users_email_preference(world, secretary, cast):
    with pytest.raises(Exception) as refused:
        services.notice_preference_set(user=secretary, email=False, actor=cast["secretary_b"])
    assert refused.value.status == 403
    assert not NoticePreference.objects.filter(user=secretary).exists()


def test_a_notice_is_emailed_once_even_if_the_task_runs_twice(world, secretary):
    services.obligations_for_meeting(meeting=assembly(world["estate_a"], days_ago(-10)), actor=SYSTEM)
    ids = list(Notice.objects.values_list("pk", flat=True))
    assert services.notices_email(notice_ids=ids) == 1
    assert services.notices_email(notice_ids=ids) == 0
    assert len(mail.outbox) == 1


def test_the_daily_digest_lists_a_secretarys_overdue_and_due_obligations_once_a_day(world, secretary):
    services.obligations_for_meeting(meeting=assembly(world["estate_a"], days_ago(10), "逾期的大会"), actor=SYSTEM)
    services.obligations_for_meeting(meeting=assembly(world["estate_a"], days_ago(0), "今天的大会"), actor=SYSTEM)
    services.obligations_for_meeting(meeting=assembly(world["estate_b"], days_ago(10), "别的社区"), actor=SYSTEM)
    services.obligations_sweep(actor=SYSTEM)
    assert services.digest_daily(actor=SYSTEM) >= 1
    assert services.digest_daily(actor=SYSTEM) == 0
    digest = Notice.objects.get(user=secretary, kind=NoticeKind.DIGEST_DAILY)
    assert "逾期1项，即将到期1项" in digest.title
    assert "逾期的大会" in digest.body and "今天的大会" in digest.body and "别的社区" not in digest.body


def test_a_secretary_with_nothing_pending_gets_no_daily_digest(world, secretary):
    assert services.digest_daily(actor=SYSTEM) == 0
    assert not Notice.objects.exists()


def test_the_weekly_digest_tells_the_street_its_flagged_estates(world, cast):
    services.obligations_for_meeting(meeting=assembly(world["estate_a"], days_ago(10)), actor=SYSTEM)
    services.obligations_for_meeting(meeting=assembly(world["estate_b"], days_ago(10)), actor=SYSTEM)
    services.digest_weekly(actor=SYSTEM)
    services.digest_weekly(actor=SYSTEM)
    (digest,) = Notice.objects.filter(user=cast["street_staff"], kind=NoticeKind.DIGEST_WEEKLY)
    assert "预警小区1个" in digest.title
    assert world["estate_a"].name in digest.body and world["estate_b"].name not in digest.body


def test_the_sweep_command_runs_the_beat_job_and_is_idempotent(world):
    services.obligations_for_meeting(meeting=assembly(world["estate_a"], days_ago(10)), actor=SYSTEM)
    out = io.StringIO()
    call_command("oversight_sweep", stdout=out)
    call_command("oversight_sweep", stdout=out)
    first, second = out.getvalue().strip().splitlines()
    assert "1 marked overdue" in first and "0 marked overdue" in second
    assert Obligation.objects.get().state == ObligationState.OVERDUE


def test_the_sweep_command_refuses_a_future_date():
    with pytest.raises(Exception, match="future"):
        call_command("oversight_sweep", "--today", (datetime.date.today() + datetime.timedelta(days=3)).isoformat())


def test_the_beat_jobs_are_scheduled():
    tasks = set(PeriodicTask.objects.filter(task__startswith="oversight.").values_list("task", flat=True))
    assert tasks == {
        "oversight.tasks.oversight_sweep",
        "oversight.tasks.daily_digest",
        "oversight.tasks.weekly_digest",
        "oversight.tasks.reports_resend_pending",
    }
