"""The permission matrix: every API operation and every page, every role, every method, one expected answer.

The table ``MATRIX`` below is the one statement of who may do what through the platform's HTTP
surface. Its rows are ``(method, route)``: an API route as the OpenAPI schema names it
(``/api/v1/votes/{id}/ballots/``), a page by its URL name (``web:estate``; a variant after ``#``).
Its columns are the roles of ``tests.world.ROLES``, each answer a status code:

- 200/201/202/204: done; 302: a page redirects (anonymous visitors to the login page, forms after success);
  302x: a page refuses by sending the visitor elsewhere with a message (nothing written);
- 400: refused for its content (including a related object the role may not see, which DRF
  reports as "does not exist"); 401: the API without a login; 403: seen but not permitted;
  404: out of the role's scope, like a missing object; 405: method not allowed; 409: the record's
  state refuses it (the role may act, not now).

Anonymous API clients get 401 (the token scheme is announced); anonymous page visitors are sent
to the login page (302), except pages meant for them (the login page, the voting-code box).

Every request runs on the same world (``tests/world.py``) inside a savepoint that is rolled back,
so each role acts on the same state; a write answered with anything but 2xx (or a logged-in page's
302) must leave every table exactly as it was: PostgreSQL's per-transaction write counters
(``pg_stat_xact_user_tables``) name the tables a request touched, and those are compared row by
row with the world's digest (``changed_tables``). The world is built once per module inside a
transaction that is rolled back at the end; a test is one row, its twelve requests in a row.

An API operation in the schema, or a page in the URL configuration, without a row here fails
``test_every_route_has_a_row``: a new endpoint cannot land without someone deciding who may use it
(``test_an_endpoint_added_without_a_row_is_named`` shows it with a fake route and page).

Each row was read against the rights it states (``docs/*.md``, ``governance.scoping``, the apps'
``rights.py``, issue 10); a comment says why where the answer may surprise. ``test_record``
(opt-in: ``MATRIX_RECORD=<file>``) writes today's answers in the table's format, to review a change;
the table is never generated from it. The Django admin (``/admin/``) is left to the admin's own tests.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import os
import re
import types
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include
from django.urls import path as url
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers, viewsets
from rest_framework.routers import DefaultRouter
from rest_framework.test import APIClient

from conftest import _missing
from governance.models import User
from tests.world import ROLES, build, pdf, png

# The world lives in a module-wide transaction (the fixture ``world``); each test's own savepoint nests in it.
# PostgreSQL: a refused write is found through its per-table write counters and row digests (string_agg, md5).
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# fmt: off
# Columns, in the order of tests.world.ROLES: anonymous, resident_a, resident_b, clerk, committee, supervisor,
# secretary_a, secretary_b, street, auditor, reviewer, admin. A cell "302x": refused by a redirect, nothing written.
MATRIX: dict[tuple[str, str], str] = {
    # An empty branch in estate A: keep_register at its place (docs/governance.md): the community, not the
    # estate's committee member (the party organization is the party's).
    ("DELETE", "/api/v1/organizations/{id}/"): "401 403 404 403 403 403 204 404 204 403 403 204",
    # An empty building: change at the building (the committee of its estate included).
    ("DELETE", "/api/v1/places/{id}/"): "401 403 404 403 403 403 204 404 204 403 403 204",
    # Withdraw a resident's role in A: only a rung above (secretary, street) or the superuser.
    ("DELETE", "/api/v1/role-assignments/{id}/"): "401 404 404 404 403 404 204 404 204 403 403 204",
    ("GET", "/api/v1/audit-actions/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/audit-actions/{id}/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/audits/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/audits/{id}/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/building-heads/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/building-heads/{id}/"): "401 404 404 404 404 404 200 404 200 200 200 200",
    ("GET", "/api/v1/commissioners/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/commissioners/{id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/committees/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/committees/lapsed/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/committees/{id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/duty-rosters/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/duty-rosters/{id}/"): "401 404 404 404 404 404 200 404 200 200 200 200",
    ("GET", "/api/v1/duty-shifts/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/duty-shifts/{id}/"): "401 404 404 404 404 404 200 404 200 200 200 200",
    ("GET", "/api/v1/fund-allocations/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/fund-allocations/{id}/"): "401 404 404 404 404 404 200 404 200 200 200 200",
    ("GET", "/api/v1/intervention-opinions/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/intervention-opinions/{id}/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/ledger/accounts/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/ledger/accounts/{id}/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/ledger/transactions/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/ledger/transactions/verify/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/ledger/transactions/{id}/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/ledger/transactions/{id}/voucher/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/meetings/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/meetings/{id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/meetings/{id}/attachments/{attachment_id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/notices/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/notices/settings/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/notices/{id}/"): "401 200 404 404 404 404 404 404 404 404 404 404",
    ("GET", "/api/v1/obligations/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/obligations/{id}/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/organizations/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/organizations/{id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/organizations/{id}/ancestors/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/organizations/{id}/children/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/organizations/{id}/descendants/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/owners/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/owners/{id}/"): "401 200 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/ownerships/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/ownerships/{id}/"): "401 200 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/party-members/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/party-members/{id}/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/party-members/{id}/participations/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/people/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/people/{id}/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/petitions/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/petitions/export/"): "401 404 404 404 404 404 200 404 200 200 200 200",
    ("GET", "/api/v1/petitions/{id}/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/places/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/places/{id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/ancestors/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/children/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/commissioners/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/compliance/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/coverage/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/descendants/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/duty-gaps/"): "401 404 404 404 404 404 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/early-warning/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/legal-oversight/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/multi-post-holders/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/occupancy/"): "401 403 404 403 200 403 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/occupancy/series/"): "401 403 404 403 200 403 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/party-participation/"): "401 403 404 403 200 403 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/petition-shares/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/secretary-chair-share/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/supervision-queues/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/places/{id}/voting-roll/"): "401 403 404 200 200 403 200 404 200 200 200 200",
    ("GET", "/api/v1/posts/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/posts/{id}/"): "401 404 404 404 404 404 200 404 200 200 200 200",
    ("GET", "/api/v1/projects/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/projects/expert-candidates/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/projects/{id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/property-companies/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/property-companies/{id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/register-imports/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/register-imports/{id}/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/reports/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    # A district's figures: only who may read the district; the others name a place out of their scope (400).
    ("GET", "/api/v1/reports/figures/"): "401 400 400 400 400 400 400 400 400 200 400 200",
    ("GET", "/api/v1/reports/{id}/"): "401 404 404 404 404 404 404 404 404 200 404 200",
    # The report is not built yet (its task waits for a commit that never comes here): 409.
    ("GET", "/api/v1/reports/{id}/download/"): "401 404 404 404 404 404 404 404 404 409 404 409",
    ("GET", "/api/v1/residents/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/residents/{id}/"): "401 200 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/revenue-rules/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/revenue-rules/{id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/role-assignments/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/role-assignments/{id}/"): "401 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/service-contracts/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/service-contracts/{id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/skills/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/skills/{id}/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/spending-requests/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/spending-requests/{id}/"): "401 404 404 404 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/statements/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    # Residents read published statements only; a preview of estate A is for `view` (400: estate not found).
    ("GET", "/api/v1/statements/preview/"): "401 400 400 400 200 400 200 400 200 200 200 200",
    ("GET", "/api/v1/statements/{id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/statements/{id}/pdf/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/statements/{id}/xlsx/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/supervision-groups/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/supervision-groups/{id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/units/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/units/{id}/"): "401 200 404 404 200 404 200 404 200 200 200 200",
    ("GET", "/api/v1/users/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    # resident A's login: themself, and the staff who may grant in A; not the committee or the watchers.
    ("GET", "/api/v1/users/{id}/"): "401 200 404 404 404 404 200 404 200 404 404 200",
    ("GET", "/api/v1/volunteers/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/volunteers/{id}/"): "401 404 404 404 404 404 200 404 200 200 200 200",
    ("GET", "/api/v1/votes/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "/api/v1/votes/{id}/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    # The entry log (ballots as entered): whoever enters ballots or reads the estate in full (`view`: committee,
    # reviewer) and auditors; never an owner (elections/rights.py may_read_entry_log).
    ("GET", "/api/v1/votes/{id}/ballots/"): "401 403 404 200 200 403 200 404 200 200 200 200",
    ("GET", "/api/v1/votes/{id}/boxes/"): "401 403 404 200 200 403 200 404 200 200 200 200",
    ("GET", "/api/v1/votes/{id}/bulletin/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/votes/{id}/candidates/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    # The vote's full CSV (ballots with owners) is for auditors: the staff who ran the vote do not export it.
    ("GET", "/api/v1/votes/{id}/export/"): "401 403 404 403 403 403 403 404 403 200 403 200",
    ("GET", "/api/v1/votes/{id}/notice-postings/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/votes/{id}/paper-serials/"): "401 403 404 200 200 403 200 404 200 200 200 200",
    ("GET", "/api/v1/votes/{id}/preparatory-group/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "/api/v1/votes/{id}/proxies/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    # A written mandate is a personal document: staff who enter ballots or run the vote, and auditors.
    ("GET", "/api/v1/votes/{id}/proxies/{proxy_id}/mandate/"): "401 404 404 200 404 404 200 404 200 200 404 200",
    ("GET", "/api/v1/votes/{id}/result/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    # Owners read a vote's steps (without serials or staff logins, issue 10 item 10).
    ("GET", "/api/v1/votes/{id}/steps/"): "401 200 404 200 200 200 200 404 200 200 200 200",
    # The API's description is public; it holds no data.
    ("GET", "api-docs"): "200 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "committees:attachment"): "302 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "committees:estate-public"): "302 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "committees:meeting-detail"): "302 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "committees:overview"): "302 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "committees:statement-detail"): "302 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "committees:statement-pdf"): "302 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "committees:statement-xlsx"): "302 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "dashboard"): "302 200 200 200 200 200 200 200 200 200 200 200",
    # The bulletin is public: anyone checks a receipt against the published chain head.
    ("GET", "elections:bulletin"): "200 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "elections:cast"): "405 405 405 405 405 405 405 405 405 405 405 405",
    ("GET", "elections:code"): "405 405 405 405 405 405 405 405 405 405 405 405",
    ("GET", "elections:codes"): "302 404 404 200 404 404 200 404 200 404 404 200",
    # Open to anyone: the box for a one-time voting code.
    ("GET", "elections:index"): "200 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "elections:paper"): "302 404 404 200 404 404 200 404 200 404 404 200",
    # The roll notice lists units and areas, never names; a visitor logs in first (it answered 403).
    ("GET", "elections:roll"): "302 200 404 200 200 200 200 404 200 200 200 200",
    # A logged-out visitor is sent to log in and comes back (docs/web.md).
    ("GET", "elections:vote"): "302 200 404 200 200 200 200 404 200 200 200 200",
    ("GET", "login"): "200 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "logout"): "405 405 405 405 405 405 405 405 405 405 405 405",
    ("GET", "place-detail"): "302 200 404 200 200 200 200 404 200 200 200 200",
    # The register is read by whoever reads everything somewhere (docs/web.md); owners read their units on /mine/.
    ("GET", "residents:register"): "302 403 403 403 200 403 200 200 200 200 200 200",
    # One unit: 403 to who reads the register nowhere (an owner, their own unit included), 404 out of scope.
    ("GET", "residents:unit"): "302 403 403 403 200 403 200 404 200 200 200 200",
    ("GET", "residents:import-detail"): "302 404 404 404 200 404 200 404 200 200 200 200",
    # The register's pages are for whoever may change a register (they answered 200 with an empty form).
    ("GET", "residents:import-new"): "302 403 403 403 403 403 200 200 200 403 403 200",
    ("GET", "residents:import-template-csv"): "302 403 403 403 403 403 200 200 200 403 403 200",
    ("GET", "residents:import-template-xlsx"): "302 403 403 403 403 403 200 200 200 403 403 200",
    # The API's description is public; it holds no data.
    ("GET", "schema"): "200 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "set_language"): "302 302 302 302 302 302 302 302 302 302 302 302",
    ("GET", "web:audit-export"): "302 403 403 403 200 403 200 200 200 200 200 200",
    ("GET", "web:audit-trail"): "302 403 403 403 200 403 200 200 200 200 200 200",
    ("GET", "web:contract"): "302 404 404 404 200 404 200 404 200 200 200 200",
    # A form that writes to the estate: 403 for readers without change there (auditor, reviewer); it answered 200.
    ("GET", "web:contract-new"): "302 404 404 404 200 404 200 404 200 403 403 200",
    ("GET", "web:desk"): "302 403 403 200 403 403 200 200 200 403 403 200",
    ("GET", "web:desk-reconciliation"): "302 403 403 200 403 403 200 404 200 403 403 200",
    ("GET", "web:desk-serials"): "302 403 403 200 403 403 200 404 200 403 403 200",
    ("GET", "web:estate"): "302 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "web:estate-tab#ledger"): "302 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "web:estate-tab#meetings"): "302 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "web:estate-tab#obligations"): "302 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "web:estate-tab#spending"): "302 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "web:estates"): "302 403 403 403 200 403 200 200 200 200 200 200",
    # A redirect to the static file.
    ("GET", "web:favicon"): "301 301 301 301 301 301 301 301 301 301 301 301",
    # A form that writes to the estate: 403 for readers without change there (auditor, reviewer); it answered 200.
    ("GET", "web:income-new"): "302 404 404 404 200 404 200 404 200 403 403 200",
    # A form that writes to the estate: 403 for readers without change there (auditor, reviewer); it answered 200.
    ("GET", "web:meeting-manage"): "302 404 404 404 200 404 200 404 200 403 403 200",
    # A form that writes to the estate: 403 for readers without change there (auditor, reviewer); it answered 200.
    ("GET", "web:meeting-new"): "302 404 404 404 200 404 200 404 200 403 403 200",
    ("GET", "web:meetings"): "302 403 403 403 200 403 200 200 200 200 200 200",
    ("GET", "web:mine"): "302 200 200 200 200 200 200 200 200 200 200 200",
    ("GET", "web:obligations"): "302 403 403 403 200 403 200 200 200 200 200 200",
    ("GET", "web:petitions"): "302 403 403 403 200 403 200 200 200 200 200 200",
    ("GET", "web:project"): "302 404 404 404 200 404 200 404 200 200 200 200",
    ("GET", "web:queue"): "302 403 403 403 200 200 200 200 200 403 200 200",
    ("GET", "web:report"): "302 403 403 403 404 403 404 404 404 200 404 200",
    # Not built yet: back to the report's page.
    ("GET", "web:report-download"): "302 403 403 403 404 403 404 404 404 302 404 302",
    ("GET", "web:report-progress"): "302 403 403 403 404 403 404 404 404 200 404 200",
    ("GET", "web:reports"): "302 403 403 403 200 403 200 200 200 200 200 200",
    ("GET", "web:spending"): "302 404 404 404 200 200 200 404 200 200 200 200",
    ("GET", "web:spending-list"): "302 403 403 403 200 403 200 200 200 200 200 200",
    # A form that writes to the estate: 403 for readers without change there (auditor, reviewer); it answered 200.
    ("GET", "web:spending-new"): "302 404 404 404 200 404 200 404 200 403 403 200",
    # A form that writes to the estate: 403 for readers without change there (auditor, reviewer); it answered 200.
    ("GET", "web:statement-new"): "302 404 404 404 200 404 200 404 200 403 403 200",
    # A form that writes to the estate: 403 for readers without change there (auditor, reviewer); it answered 200.
    ("GET", "web:transaction-reverse"): "302 404 404 404 200 404 200 404 200 403 403 200",
    ("GET", "web:turnout"): "302 403 403 403 200 403 200 200 200 200 200 200",
    ("GET", "web:vote-desk"): "302 403 403 200 403 403 200 404 200 403 403 200",
    ("GET", "web:voucher"): "302 404 404 404 200 404 200 404 200 200 200 200",
    ("PATCH", "/api/v1/notices/settings/"): "401 200 200 200 200 200 200 200 200 200 200 200",
    ("PATCH", "/api/v1/organizations/{id}/"): "401 403 404 403 403 403 200 404 200 403 403 200",
    ("PATCH", "/api/v1/party-members/{id}/"): "401 404 404 404 403 404 200 404 200 403 403 200",
    ("PATCH", "/api/v1/people/{id}/"): "401 404 404 404 403 404 200 404 200 403 403 200",
    ("PATCH", "/api/v1/petitions/{id}/"): "401 404 404 404 200 404 200 404 200 403 403 200",
    ("PATCH", "/api/v1/places/{id}/"): "401 403 404 403 403 403 200 404 200 403 403 200",
    ("PATCH", "/api/v1/projects/{id}/"): "401 403 404 403 200 403 200 404 200 403 403 200",
    ("PATCH", "/api/v1/property-companies/{id}/"): "401 403 404 403 403 403 200 404 200 403 403 200",
    ("PATCH", "/api/v1/units/{id}/"): "401 403 404 404 403 404 200 404 200 403 403 200",
    ("POST", "/api/v1/audit-actions/{id}/done/"): "401 404 404 404 403 404 200 404 200 403 403 200",
    # Audits are planned by the community or the street, never by the committee whose money is audited
    # (docs/oversight.md); the auditor writes nothing.
    ("POST", "/api/v1/audits/"): "401 400 400 400 403 400 201 400 201 403 403 201",
    ("POST", "/api/v1/audits/{id}/actions/"): "401 404 404 404 403 404 201 404 201 403 403 201",
    # No report yet: 409.
    ("POST", "/api/v1/audits/{id}/close/"): "401 404 404 404 403 404 409 404 409 403 403 409",
    # No report yet: 409.
    ("POST", "/api/v1/audits/{id}/publish/"): "401 404 404 404 403 404 409 404 409 403 403 409",
    ("POST", "/api/v1/audits/{id}/report/"): "401 404 404 404 403 404 200 404 200 403 403 200",
    # A wrong password: 400 for anyone (the token endpoint needs no login); the attempt is counted.
    ("POST", "/api/v1/auth/token/"): "400 400 400 400 400 400 400 400 400 400 400 400",
    ("POST", "/api/v1/building-heads/"): "401 400 400 400 400 400 201 400 201 403 403 201",
    # The community's cadre as commissioner of the self-managed estate: community and street.
    ("POST", "/api/v1/commissioners/"): "401 400 400 400 400 400 201 400 201 403 403 201",
    # Recording the next committee of estate A ends the current one: the community's record (secretary, street),
    # not the committee's, which could replace itself by hand (it answered 201 to a committee member).
    # Without `validators = []` on the serializer the one-current-committee validator answered 400 to all.
    ("POST", "/api/v1/committees/"): "401 400 400 400 403 400 201 400 201 403 403 201",
    ("POST", "/api/v1/committees/{id}/assign-post/"): "401 403 404 403 200 403 200 404 200 403 403 200",
    # The filing with the street is recorded by the community or the street, not by the committee filed.
    ("POST", "/api/v1/committees/{id}/file/"): "401 403 404 403 403 403 200 404 200 403 403 200",
    ("POST", "/api/v1/duty-rosters/"): "401 400 400 400 400 400 201 400 201 403 403 201",
    ("POST", "/api/v1/duty-shifts/"): "401 400 400 400 400 400 201 400 201 403 403 201",
    # The shift is next week: the rights pass, the date refuses it (400 future_date).
    ("POST", "/api/v1/duty-shifts/{id}/record/"): "401 404 404 404 404 404 400 404 400 403 403 400",
    ("POST", "/api/v1/fund-allocations/"): "401 400 400 400 400 400 201 400 201 403 403 201",
    # An early-intervention opinion is the discipline reviewer's alone.
    ("POST", "/api/v1/intervention-opinions/"): "401 400 400 400 403 400 403 400 403 403 201 201",
    # Open estate B's ledger: community B's secretary (and the superuser); B is outside street A.
    ("POST", "/api/v1/ledger/accounts/open/"): "401 400 400 400 400 400 400 201 400 403 400 201",
    # Issue 10 item 2: a direct posting that pays 10,000,000 out of the bank is refused to every role,
    # the superuser included (400 payment_needs_request): payments go through a spending request.
    ("POST", "/api/v1/ledger/transactions/"): "401 400 400 400 400 400 400 400 400 403 403 400",
    # Income may be posted directly, by whoever may change the estate.
    ("POST", "/api/v1/ledger/transactions/#income"): "401 400 400 400 201 400 201 400 201 403 403 201",
    ("POST", "/api/v1/ledger/transactions/{id}/reverse/"): "401 404 404 404 201 404 201 404 201 403 403 201",
    ("POST", "/api/v1/meetings/"): "401 400 400 400 201 400 201 400 201 403 403 201",
    ("POST", "/api/v1/meetings/{id}/attachments/"): "401 404 404 404 201 404 201 404 201 403 403 201",
    ("POST", "/api/v1/meetings/{id}/attendance/"): "401 404 404 404 200 404 200 404 200 403 403 200",
    ("POST", "/api/v1/meetings/{id}/decisions/"): "401 404 404 404 201 404 201 404 201 403 403 201",
    ("POST", "/api/v1/meetings/{id}/minutes/"): "401 404 404 404 200 404 200 404 200 403 403 200",
    ("POST", "/api/v1/meetings/{id}/publish-minutes/"): "401 404 404 404 200 404 200 404 200 403 403 200",
    ("POST", "/api/v1/notices/{id}/read/"): "401 200 404 404 404 404 404 404 404 404 404 404",
    # Evidence by the community or the street, not by the committee that was overseen.
    ("POST", "/api/v1/obligations/{id}/evidence/"): "401 404 404 404 403 404 201 404 201 403 403 201",
    # Waivers need change at the street: the community does not excuse itself (docs/oversight.md).
    ("POST", "/api/v1/obligations/{id}/waive/"): "401 404 404 404 403 404 403 404 200 403 403 200",
    ("POST", "/api/v1/organizations/"): "401 403 400 403 403 403 201 400 201 403 403 201",
    # The branch is moved under the community committee it already hangs from (200, nothing but the audit row):
    # the row shows who may move it; residents do not see the new parent (400).
    ("POST", "/api/v1/organizations/{id}/move/"): "401 400 404 400 400 400 200 404 200 403 403 200",
    ("POST", "/api/v1/owners/"): "401 400 400 400 403 400 201 400 201 403 403 201",
    # A full ID number: view_personal (secretary, street, auditor), recorded; not the owner's committee.
    ("POST", "/api/v1/owners/{id}/reveal/"): "401 403 404 404 403 404 200 404 200 200 403 200",
    ("POST", "/api/v1/party-members/"): "401 400 400 400 403 400 201 400 201 403 403 201",
    ("POST", "/api/v1/party-members/{id}/participations/"): "401 404 404 404 403 404 201 404 201 403 403 201",
    ("POST", "/api/v1/people/"): "401 403 400 403 403 403 201 400 201 403 403 201",
    # A full ID number: view_personal (secretary, street, auditor), recorded.
    ("POST", "/api/v1/people/{id}/reveal/"): "401 404 404 404 403 404 200 404 200 200 403 200",
    ("POST", "/api/v1/petitions/"): "401 400 400 400 201 400 201 400 201 403 403 201",
    ("POST", "/api/v1/petitions/import/"): "401 400 400 400 400 400 201 400 201 403 403 201",
    # A petitioner: view_personal (secretary, street, auditor), recorded.
    ("POST", "/api/v1/petitions/{id}/reveal/"): "401 404 404 404 403 404 200 404 200 200 403 200",
    ("POST", "/api/v1/places/"): "401 403 400 403 403 403 201 400 201 403 403 201",
    # A recount is a write: auditors and reviewers read coverage, they do not trigger it (issue 10 item 10).
    ("POST", "/api/v1/places/{id}/coverage/recount/"): "401 404 404 404 404 404 202 404 202 403 403 202",
    # Estate A to community B: change at both ends, which only the superuser holds.
    ("POST", "/api/v1/places/{id}/move/"): "401 400 404 400 400 400 400 404 400 403 400 200",
    ("POST", "/api/v1/posts/"): "401 400 400 400 403 400 201 400 201 403 403 201",
    ("POST", "/api/v1/posts/{id}/end/"): "401 404 404 404 404 404 200 404 200 403 403 200",
    ("POST", "/api/v1/projects/"): "401 400 400 400 201 400 201 400 201 403 403 201",
    ("POST", "/api/v1/projects/{id}/accept/"): "401 403 404 403 200 403 200 404 200 403 403 200",
    ("POST", "/api/v1/projects/{id}/milestones/"): "401 403 404 403 201 403 201 404 201 403 403 201",
    ("POST", "/api/v1/projects/{id}/reach-milestone/"): "401 403 404 403 200 403 200 404 200 403 403 200",
    ("POST", "/api/v1/projects/{id}/start/"): "401 403 404 403 200 403 200 404 200 403 403 200",
    ("POST", "/api/v1/property-companies/"): "401 400 400 400 400 400 201 400 201 403 403 201",
    ("POST", "/api/v1/register-imports/"): "401 400 400 400 403 400 202 400 202 403 403 202",
    ("POST", "/api/v1/reports/"): "401 400 400 400 400 400 400 400 400 202 400 202",
    ("POST", "/api/v1/residents/"): "401 400 400 400 403 400 201 400 201 403 403 201",
    ("POST", "/api/v1/residents/{id}/move-out/"): "401 403 404 404 403 404 200 404 200 403 403 200",
    ("POST", "/api/v1/revenue-rules/"): "401 403 400 403 201 403 201 400 201 403 403 201",
    # Grant the newcomer a clerk's role in A: a rung above with grant (secretary, street) or the superuser;
    # the others do not see the login (400).
    ("POST", "/api/v1/role-assignments/"): "401 400 400 400 400 400 201 400 201 400 400 201",
    # Issue 10 item 3: each role asks for the district auditor's role for itself: nobody changes their own
    # roles, and only a superuser grants an oversight role.
    ("POST", "/api/v1/role-assignments/#self"): "401 400 400 400 403 400 403 400 403 403 403 403",
    ("POST", "/api/v1/service-contracts/"): "401 400 400 400 201 400 201 400 201 403 403 201",
    ("POST", "/api/v1/service-contracts/{id}/performance-notes/"): "401 403 404 403 201 403 201 404 201 403 403 201",
    ("POST", "/api/v1/spending-requests/"): "401 400 400 400 201 400 201 400 201 403 403 201",
    # The supervision stage: a member of the estate's supervision group only (the superuser neither).
    ("POST", "/api/v1/spending-requests/{id}/approve/"): "401 404 404 404 403 200 403 404 403 403 403 403",
    # A committee-approved 6,000 request: paid by whoever may change the estate (docs/committees.md), funds checked.
    ("POST", "/api/v1/spending-requests/{id}/pay/"): "401 404 404 404 201 403 201 404 201 403 403 201",
    ("POST", "/api/v1/statements/publish/"): "401 400 400 400 201 400 201 400 201 403 403 201",
    ("POST", "/api/v1/supervision-groups/"): "401 400 400 400 201 400 201 400 201 403 403 201",
    ("POST", "/api/v1/units/"): "401 400 400 400 403 400 201 400 201 403 403 201",
    # The register (units, owners, transfers) is kept by the community (keep_register, docs/governance.md): areas
    # and owners weigh every vote, the committee's own re-election included, so the committee member gets 403.
    ("POST", "/api/v1/units/{id}/transfer/"): "401 400 404 404 403 404 201 404 201 403 403 201",
    # A login is made by whoever may grant somewhere (community B's secretary too).
    ("POST", "/api/v1/users/"): "401 403 403 403 403 403 201 201 201 403 403 201",
    ("POST", "/api/v1/volunteers/"): "401 400 400 400 400 400 201 400 201 403 403 201",
    ("POST", "/api/v1/votes/"): "401 403 400 403 403 403 201 400 201 403 403 201",
    # Issue 10 item 1: an online ballot for another owner under an invented proxy is refused to everyone.
    ("POST", "/api/v1/votes/{id}/ballots/"): "401 403 404 403 403 403 403 404 403 403 403 403",
    # An owner votes online for their own unit; nobody else may cast that ballot online.
    ("POST", "/api/v1/votes/{id}/ballots/#own"): "401 201 404 403 403 403 403 404 403 403 403 403",
    # A paper ballot is entered by the clerk or whoever runs the vote.
    ("POST", "/api/v1/votes/{id}/ballots/#paper"): "401 403 404 201 403 403 201 404 201 403 403 201",
    ("POST", "/api/v1/votes/{id}/ballots/{ballot_id}/void/"): "401 403 404 403 403 403 201 404 201 403 403 201",
    ("POST", "/api/v1/votes/{id}/boxes/"): "401 403 404 201 403 403 201 404 201 403 403 201",
    ("POST", "/api/v1/votes/{id}/boxes/{box_id}/finish/"): "401 403 404 200 403 403 200 404 200 403 403 200",
    # The world's vote is a resolution, not a first election: the rights pass, the vote refuses (400).
    ("POST", "/api/v1/votes/{id}/by-election/"): "401 403 404 403 403 403 400 404 400 403 403 400",
    ("POST", "/api/v1/votes/{id}/candidates/"): "401 403 404 403 403 403 201 404 201 403 403 201",
    ("POST", "/api/v1/votes/{id}/candidates/{candidate_id}/review/"): "401 403 404 403 403 403 200 404 200 403 403 200",
    # Before the announced close and with owners yet to vote: 409 for whoever runs the vote.
    ("POST", "/api/v1/votes/{id}/close/"): "401 403 404 403 403 403 409 404 409 403 403 409",
    # Only a counted vote short of its quorum may be extended (409 not_extendable) for whoever runs the vote.
    ("POST", "/api/v1/votes/{id}/extend/"): "401 403 404 403 403 403 409 404 409 403 403 409",
    ("POST", "/api/v1/votes/{id}/notice-postings/"): "401 403 404 403 403 403 201 404 201 403 403 201",
    ("POST", "/api/v1/votes/{id}/paper-serials/"): "401 403 404 201 403 403 201 404 201 403 403 201",
    ("POST", "/api/v1/votes/{id}/paper-serials/void/"): "401 403 404 403 403 403 200 404 200 403 403 200",
    # The election is already in nomination: its preparatory group is recorded only in draft (409 wrong_status).
    ("POST", "/api/v1/votes/{id}/preparatory-group/"): "401 403 404 403 403 403 409 404 409 403 403 409",
    ("POST", "/api/v1/votes/{id}/proxies/"): "401 201 404 201 403 403 201 404 201 403 403 201",
    ("POST", "/api/v1/votes/{id}/proxies/{proxy_id}/decide/"): "401 404 404 403 404 404 200 404 200 403 404 200",
    # The world's vote is a resolution, not a first election: the rights pass, the vote refuses (400).
    ("POST", "/api/v1/votes/{id}/runoff/"): "401 403 404 403 403 403 400 404 400 403 403 400",
    # No tie in the world's vote: the rights pass, the vote refuses (400).
    ("POST", "/api/v1/votes/{id}/tie-settlement/"): "401 403 404 403 403 403 400 404 400 403 403 400",
    ("POST", "/api/v1/votes/{id}/transition/"): "401 403 404 403 403 403 200 404 200 403 403 200",
    ("POST", "/api/v1/votes/{id}/voting-codes/"): "401 403 404 201 403 403 201 404 201 403 403 201",
    # Only the owner casts for their unit (200, the receipt); staff and other owners of A are sent back
    # to the vote's page with the refusal (302x, nothing written).
    ("POST", "elections:cast"): "403 200 404 302x 302x 302x 302x 404 302x 302x 302x 302x",
    # A wrong voting code: back to the box with a message, for anyone (302x).
    ("POST", "elections:code"): "302x 302x 302x 302x 302x 302x 302x 302x 302x 302x 302x 302x",
    # Issue the voting codes: who enters ballots of estate A (the slips are shown once, 200).
    ("POST", "elections:codes"): "302 404 404 200 404 404 200 404 200 404 404 200",
    ("POST", "elections:paper"): "302 404 404 302 404 404 302 404 302 404 404 302",
    # A wrong password: the form again, for anyone (the attempt is counted by django-axes).
    ("POST", "login"): "200 200 200 200 200 200 200 200 200 200 200 200",
    ("POST", "logout"): "302 302 302 302 302 302 302 302 302 302 302 302",
    # The import form: whoever may change a register (the others 403, it answered 200); community B's secretary
    # names estate A, not among the form's estates: 400 (it answered 200).
    ("POST", "residents:import-new"): "302 403 403 403 403 403 302 400 302 403 403 302",
    ("POST", "set_language"): "302 302 302 302 302 302 302 302 302 302 302 302",
    ("POST", "web:contract"): "302 404 404 404 302 404 302 404 302 403 403 302",
    ("POST", "web:contract-new"): "302 404 404 404 302 404 302 404 302 403 403 302",
    ("POST", "web:income-new"): "302 404 404 404 302 404 302 404 302 403 403 302",
    ("POST", "web:meeting-manage"): "302 404 404 404 302 404 302 404 302 403 403 302",
    ("POST", "web:meeting-new"): "302 404 404 404 302 404 302 404 302 403 403 302",
    ("POST", "web:project"): "302 404 404 404 302 404 302 404 302 403 403 302",
    ("POST", "web:reports"): "302 403 403 403 400 403 400 400 400 302 400 302",
    # The supervision stage from the request's page: the supervision group's member only.
    ("POST", "web:spending"): "302 404 404 404 403 302 403 404 403 403 403 403",
    ("POST", "web:spending-new"): "302 404 404 404 302 404 302 404 302 403 403 302",
    ("POST", "web:statement-new"): "302 404 404 404 302 404 302 404 302 403 403 302",
    ("POST", "web:transaction-reverse"): "302 404 404 404 302 404 302 404 302 403 403 302",
    ("POST", "web:vote-desk"): "302 403 403 302 403 403 302 404 302 403 403 302",
}
# fmt: on


# How to reach each route: the world's object behind ``{id}`` (by the route's first segment, or the route itself).
OBJECTS_BY_SEGMENT = {
    "places": "estate_a",
    "organizations": "branch_a",
    "people": "person",
    "posts": "post",
    "users": "user:resident_a",
    "role-assignments": "helper_role",
    "units": "unit_a",
    "owners": "owner_a",
    "ownerships": "ownership_a",
    "residents": "resident",
    "party-members": "party_member",
    "skills": "skill",
    "register-imports": "import_job",
    "votes": "vote_voting",
    "committees": "committee",
    "supervision-groups": "group",
    "meetings": "meeting",
    "property-companies": "company",
    "service-contracts": "contract",
    "projects": "project",
    "ledger/accounts": "account_bank",
    "ledger/transactions": "income",
    "spending-requests": "spending_approved",
    "statements": "statement",
    "obligations": "obligation",
    "intervention-opinions": "opinion",
    "revenue-rules": "rules",
    "audits": "audit",
    "audit-actions": "audit_action",
    "petitions": "petition",
    "building-heads": "building_head",
    "volunteers": "volunteer",
    "duty-rosters": "roster",
    "duty-shifts": "shift",
    "fund-allocations": "fund",
    "commissioners": "commissioner",
    "reports": "report",
    "notices": "notice:resident_a",
}
OBJECTS_BY_ROUTE = {
    "/api/v1/votes/{id}/candidates/": "vote_election",
    "/api/v1/votes/{id}/candidates/{candidate_id}/review/": "vote_election",
    "/api/v1/votes/{id}/preparatory-group/": "vote_election",
    "/api/v1/votes/{id}/transition/": "vote_draft",
    "/api/v1/votes/{id}/notice-postings/": "vote_draft",
    "/api/v1/spending-requests/{id}/approve/": "spending_to_supervise",
    "/api/v1/places/{id}/coverage/recount/": "community_a",
    "/api/v1/meetings/{id}/attendance/": "meeting_open",
    "/api/v1/meetings/{id}/minutes/": "meeting_open",
    "/api/v1/meetings/{id}/publish-minutes/": "meeting_open",
    "/api/v1/meetings/{id}/decisions/": "meeting_open",
    "/api/v1/meetings/{id}/attachments/": "meeting_open",
    "/api/v1/places/{id}/duty-gaps/": "estate_s",
}
# A DELETE removes a leaf (estate A and its general branch hold rows, which the services refuse to orphan: 409).
OBJECTS_BY_OPERATION = {
    ("DELETE", "/api/v1/places/{id}/"): "building_a2",
    ("DELETE", "/api/v1/organizations/{id}/"): "branch_empty",
}
SUB_OBJECTS = {
    "candidate_id": "candidate",
    "ballot_id": "ballot",
    "box_id": "box",
    "proxy_id": "proxy",
    "attachment_id": "attachment",
}


def _date(day: datetime.date) -> str:
    return day.isoformat()


def _json(**data):
    return (data, "json")


def _multipart(**data):
    return (data, "multipart")


# Request bodies of the writes, built afresh for each request (uploaded files are read once).
def _body_tables() -> tuple:
    return (
        _governance_bodies,
        _register_bodies,
        _vote_bodies,
        _committee_bodies,
        _ledger_bodies,
        _oversight_bodies,
    )


def _governance_bodies(w) -> dict:
    """The governance writes (places, organizations, people, posts, users, roles)."""
    today = w["today"]
    a = w["estate_a"].pk
    return {
        ("POST", "/api/v1/auth/token/"): _json(username="nobody", password="wrong-password-1"),
        ("POST", "/api/v1/places/"): _json(kind="building", name="9栋", parent=a),
        ("PATCH", "/api/v1/places/{id}/"): _json(code="NF-001"),
        ("DELETE", "/api/v1/places/{id}/"): None,
        ("POST", "/api/v1/places/{id}/move/"): _json(parent=w["community_b"].pk),
        ("POST", "/api/v1/places/{id}/coverage/recount/"): None,
        ("POST", "/api/v1/organizations/"): _json(
            kind="resident_branch", name="第一党支部", place=a, parent=w["branch_a"].pk
        ),
        ("PATCH", "/api/v1/organizations/{id}/"): _json(name="南方上格林小区党总支"),
        ("DELETE", "/api/v1/organizations/{id}/"): None,
        ("POST", "/api/v1/organizations/{id}/move/"): _json(parent=w["community_committee_a"].pk),
        ("POST", "/api/v1/people/"): _json(name="新居民", place=a),
        ("PATCH", "/api/v1/people/{id}/"): _json(name="王芳芳"),
        ("POST", "/api/v1/people/{id}/reveal/"): None,
        ("POST", "/api/v1/posts/"): _json(
            person=w["person"].pk, kind="member", body="party", organization=w["branch_a"].pk
        ),
        ("POST", "/api/v1/posts/{id}/end/"): _json(end=_date(today)),
        ("POST", "/api/v1/users/"): _json(username="new-user", password="a-long-passphrase-9"),
        ("POST", "/api/v1/role-assignments/"): _json(user=w["newcomer"].pk, role="clerk", place=a),
        # Issue 10 item 3: each role grants itself the district auditor's role.
        ("POST", "/api/v1/role-assignments/#self"): "self-grant",
        ("DELETE", "/api/v1/role-assignments/{id}/"): None,
    }


def _register_bodies(w) -> dict:
    """The register's writes."""
    today = w["today"]
    a = w["estate_a"].pk
    return {
        ("POST", "/api/v1/units/"): _json(
            building=w["building_a2"].pk, stairway="1", room="901", registered_area="88.00"
        ),
        ("PATCH", "/api/v1/units/{id}/"): _json(surveyed_area="101.00"),
        ("POST", "/api/v1/units/{id}/transfer/"): _json(
            on=_date(today), owners=[{"owner": w["owner_supervisor"].pk}], registered=True
        ),
        ("POST", "/api/v1/owners/"): _json(place=a, person=w["person"].pk),
        ("POST", "/api/v1/owners/{id}/reveal/"): None,
        ("POST", "/api/v1/residents/"): _json(
            unit=w["unit_supervisor"].pk, person=w["person"].pk, relation="tenant", start=_date(today)
        ),
        ("POST", "/api/v1/residents/{id}/move-out/"): _json(on=_date(today)),
        ("POST", "/api/v1/party-members/"): _json(
            person=w["users"]["resident_a"].person_id,
            organization=w["branch_a"].pk,
            in_service=True,
            registered_on=_date(today),
        ),
        ("PATCH", "/api/v1/party-members/{id}/"): _json(workplace="某设计院"),
        ("POST", "/api/v1/party-members/{id}/participations/"): _json(date=_date(today), activity="义务巡逻"),
        ("POST", "/api/v1/register-imports/"): _multipart(estate=a, file=_register_file()),
    }


def _vote_bodies(w) -> dict:
    """The votes' writes."""
    today, now = w["today"], w["now"]
    later = now + datetime.timedelta(days=20)
    a = w["estate_a"].pk
    return {
        ("POST", "/api/v1/votes/"): _json(
            estate=a,
            kind="resolution",
            title="续聘物业",
            matter=4,
            opens_at=later.isoformat(),
            closes_at=(later + datetime.timedelta(days=2)).isoformat(),
        ),
        # Issue 10 item 1: an online ballot for another owner under an invented proxy.
        ("POST", "/api/v1/votes/{id}/ballots/"): _json(
            channel="online", owner=w["owner_candidate"].pk, choice="for", proxy={"name": "冒名者"}
        ),
        ("POST", "/api/v1/votes/{id}/ballots/#own"): _json(channel="online", owner=w["owner_a"].pk, choice="for"),
        ("POST", "/api/v1/votes/{id}/ballots/#paper"): _json(
            channel="central", owner=w["owner_candidate"].pk, choice="against", paper_serial="P-001"
        ),
        ("POST", "/api/v1/votes/{id}/ballots/{ballot_id}/void/"): _json(reason="录入错误"),
        ("POST", "/api/v1/votes/{id}/boxes/"): _json(label="流动票箱2", channel="mobile_box"),
        ("POST", "/api/v1/votes/{id}/boxes/{box_id}/finish/"): None,
        ("POST", "/api/v1/votes/{id}/by-election/"): _json(
            seats=1, opens_at=later.isoformat(), closes_at=(later + datetime.timedelta(days=2)).isoformat()
        ),
        ("POST", "/api/v1/votes/{id}/candidates/"): _json(owner=w["owner_supervisor"].pk, nominated_by="owners"),
        ("POST", "/api/v1/votes/{id}/candidates/{candidate_id}/review/"): _json(eligible=True),
        ("POST", "/api/v1/votes/{id}/close/"): None,
        ("POST", "/api/v1/votes/{id}/extend/"): _json(closes_at=(now + datetime.timedelta(days=4)).isoformat()),
        ("POST", "/api/v1/votes/{id}/notice-postings/"): _multipart(
            posted_on=_date(today), posted_by="物业公告栏", document=png("notice.png")
        ),
        ("POST", "/api/v1/votes/{id}/paper-serials/"): _json(serials=["P-101"]),
        ("POST", "/api/v1/votes/{id}/paper-serials/void/"): _json(serial="P-002", reason="印错"),
        ("POST", "/api/v1/votes/{id}/preparatory-group/"): _json(
            members=[{"name": "街道代表", "body": "street", "leads": True}]
        ),
        ("POST", "/api/v1/votes/{id}/proxies/"): _multipart(
            owner=w["owner_a"].pk, name="张三的亲属", mandate=pdf("mandate.pdf")
        ),
        ("POST", "/api/v1/votes/{id}/proxies/{proxy_id}/decide/"): _json(accept=True),
        ("POST", "/api/v1/votes/{id}/runoff/"): _json(
            opens_at=later.isoformat(), closes_at=(later + datetime.timedelta(days=2)).isoformat()
        ),
        ("POST", "/api/v1/votes/{id}/tie-settlement/"): _multipart(
            winners=[w["candidate"].pk], rule_text="抽签", document=pdf("rules.pdf")
        ),
        ("POST", "/api/v1/votes/{id}/transition/"): _json(to="notice"),
        ("POST", "/api/v1/votes/{id}/voting-codes/"): None,
    }


def _committee_bodies(w) -> dict:
    """The committees' writes (meetings, property, projects)."""
    today, now = w["today"], w["now"]
    a = w["estate_a"].pk
    return {
        ("POST", "/api/v1/committees/"): _json(
            estate=a,
            term_start=_date(today),
            members=[
                {"person": p.pk, "kind": "member" if i else "chair"} for i, p in enumerate(w["committee_members"])
            ],
        ),
        ("POST", "/api/v1/committees/{id}/assign-post/"): _json(person=w["committee_members"][1].pk, kind="vice_chair"),
        ("POST", "/api/v1/committees/{id}/file/"): _json(filed_on=_date(datetime.date(2024, 1, 20)), reference="备1号"),
        ("POST", "/api/v1/supervision-groups/"): _json(estate=a, term_start=_date(today), members=[w["owner_a"].pk]),
        ("POST", "/api/v1/meetings/"): _json(
            estate=a, kind="deliberation", title="议事会", held_at=(now + datetime.timedelta(days=3)).isoformat()
        ),
        ("POST", "/api/v1/meetings/{id}/attachments/"): _multipart(title="照片", file=png()),
        ("POST", "/api/v1/meetings/{id}/attendance/"): _json(attendees=[], party_org=True),
        ("POST", "/api/v1/meetings/{id}/decisions/"): _json(text="同意", passed=True),
        ("POST", "/api/v1/meetings/{id}/minutes/"): _json(minutes="纪要"),
        ("POST", "/api/v1/meetings/{id}/publish-minutes/"): None,
        ("POST", "/api/v1/property-companies/"): _json(name="新物业", place=w["community_a"].pk),
        ("PATCH", "/api/v1/property-companies/{id}/"): _json(contact="联系人"),
        ("POST", "/api/v1/service-contracts/"): _json(
            estate=a, company=w["company"].pk, start="2029-01-01", end="2030-12-31", fee_per_m2_month="2.10"
        ),
        ("POST", "/api/v1/service-contracts/{id}/performance-notes/"): _json(noted_on=_date(today), text="及时"),
        ("POST", "/api/v1/projects/"): _json(estate=a, title="屋面防水", budget="50000.00"),
        ("PATCH", "/api/v1/projects/{id}/"): _json(title="消防主管道改造"),
        ("POST", "/api/v1/projects/{id}/accept/"): _json(
            accepted_on=_date(today), actual_end=_date(today), actual_cost="280000.00"
        ),
        ("POST", "/api/v1/projects/{id}/milestones/"): _json(title="试压"),
        ("POST", "/api/v1/projects/{id}/reach-milestone/"): _json(milestone=w["milestone"].pk, reached_on=_date(today)),
        ("POST", "/api/v1/projects/{id}/start/"): _json(on=_date(today)),
    }


def _ledger_bodies(w) -> dict:
    """The ledger's and spending's writes."""
    today = w["today"]
    a = w["estate_a"].pk
    acc = w["accounts"]
    return {
        ("POST", "/api/v1/ledger/accounts/open/"): _json(estate=w["estate_b"].pk),
        # Issue 10 item 2: a direct posting that takes money out of the bank without approvals.
        ("POST", "/api/v1/ledger/transactions/"): _multipart(
            estate=a,
            date=_date(today),
            memo="提现",
            voucher=pdf("cash.pdf"),
            legs=json.dumps(
                [
                    {"account": acc["5101"].pk, "debit": "10000000.00", "credit": "0"},
                    {"account": acc["1001"].pk, "debit": "0", "credit": "10000000.00"},
                ]
            ),
        ),
        ("POST", "/api/v1/ledger/transactions/#income"): _multipart(
            estate=a,
            date=_date(today),
            memo="广告收入",
            voucher=pdf("ad2.pdf"),
            legs=json.dumps(
                [
                    {"account": acc["1001"].pk, "debit": "500.00", "credit": "0"},
                    {"account": acc["4001"].pk, "debit": "0", "credit": "500.00"},
                ]
            ),
        ),
        ("POST", "/api/v1/ledger/transactions/{id}/reverse/"): _json(reason="录错"),
        ("POST", "/api/v1/spending-requests/"): _json(
            estate=a, payee="某公司", purpose=acc["5101"].pk, amount="800.00"
        ),
        ("POST", "/api/v1/spending-requests/{id}/approve/"): _json(stage="supervision", seen="比价单"),
        ("POST", "/api/v1/spending-requests/{id}/pay/"): _multipart(date=_date(today), voucher=pdf("paid.pdf")),
        ("POST", "/api/v1/statements/publish/"): _json(
            estate=a, period_start=_date(w["next_period"][0]), period_end=_date(w["next_period"][1])
        ),
    }


def _oversight_bodies(w) -> dict:
    """The oversight writes."""
    today = w["today"]
    a = w["estate_a"].pk
    return {
        ("POST", "/api/v1/obligations/{id}/evidence/"): _json(done_on=_date(today), people="陈静"),
        ("POST", "/api/v1/obligations/{id}/waive/"): _json(reason="会议取消"),
        ("POST", "/api/v1/intervention-opinions/"): _json(opinion="请补充比价", project=w["project"].pk),
        ("POST", "/api/v1/revenue-rules/"): _multipart(
            estate=a,
            title="管理办法（修订）",
            document=pdf("rules2.pdf"),
            adopted_on=_date(today),
            decision=w["decision"].pk,
        ),
        ("POST", "/api/v1/audits/"): _json(
            estate=a, period_start="2024-01-01", period_end="2024-12-31", auditor="某事务所", plan="专项审计"
        ),
        ("POST", "/api/v1/audits/{id}/actions/"): _json(description="整改", owner="业委会", due_on=_date(today)),
        ("POST", "/api/v1/audits/{id}/close/"): _json(closed_on=_date(today), note="完成"),
        ("POST", "/api/v1/audits/{id}/publish/"): None,
        ("POST", "/api/v1/audits/{id}/report/"): _json(findings="无重大问题", reported_on=_date(today)),
        ("POST", "/api/v1/audit-actions/{id}/done/"): _json(done_on=_date(today), evidence="已补齐"),
        ("POST", "/api/v1/petitions/"): _json(
            received_on=_date(today), place=a, category="property", channel="visit", summary="噪音"
        ),
        ("PATCH", "/api/v1/petitions/{id}/"): _json(status="handling"),
        ("POST", "/api/v1/petitions/{id}/reveal/"): None,
        ("POST", "/api/v1/petitions/import/"): _multipart(
            place=w["community_a"].pk, year=today.year, file=_petition_file()
        ),
        ("POST", "/api/v1/building-heads/"): _json(
            building=w["building_s"].pk, person=w["volunteer"].person_id, start=_date(today)
        ),
        ("POST", "/api/v1/volunteers/"): _json(estate=w["estate_s"].pk, person=w["building_head"].person_id),
        ("POST", "/api/v1/duty-rosters/"): _json(
            estate=w["estate_s"].pk, kind=w["roster"].kind, title="停车秩序", weekdays=[5], starts_on=_date(today)
        ),
        ("POST", "/api/v1/duty-shifts/"): _json(
            roster=w["roster"].pk,
            date=_date(w["shift"].date + datetime.timedelta(days=3)),
            volunteer=w["volunteer"].pk,
        ),
        ("POST", "/api/v1/duty-shifts/{id}/record/"): _json(done=False, note="下雨"),
        ("POST", "/api/v1/fund-allocations/"): _multipart(
            community=w["community_a"].pk,
            estate=w["estate_s"].pk,
            amount="1000.00",
            purpose="绿化",
            voucher=pdf("fund2.pdf"),
        ),
        ("POST", "/api/v1/commissioners/"): _json(estate=w["estate_s"].pk, person=w["cadre"].pk),
        ("POST", "/api/v1/reports/"): _json(
            kind="overview", place=w["district"].pk, start=f"{today.year}-01-01", end=_date(today), format="csv"
        ),
        ("POST", "/api/v1/notices/{id}/read/"): None,
        ("PATCH", "/api/v1/notices/settings/"): _json(email=False),
    }


def _register_file():
    header = "building,stairway,room,use,area,area_source,delivered,"
    header += "owner_name,owner_id_number,owner_phone,is_developer,share"
    row = "2栋,1,301,residential,88.00,registered,yes,钱七,500105196001010033,13800000001,no,"
    return SimpleUploadedFile("register.csv", f"{header}\n{row}\n".encode(), content_type="text/csv")


def _petition_file():
    text = "received_on,place,category,channel,summary\n2026-01-05,南方上格林,property,visit,停车纠纷\n"
    return SimpleUploadedFile("petitions.csv", text.encode(), content_type="text/csv")


# The pages: each URL name's address in the world (a variant after ``#``), and the form posted to it.
# Every page's address in the world (a variant after ``#``), and the form posted to it (``None``: no POST).
def _lower_pages(w) -> dict:
    """The pages of the lower apps: login, language, API docs, place, register, votes, committees' public pages."""
    a, vote = w["estate_a"].pk, w["vote_voting"].pk
    return {
        "login": ("/login/", _form(username="resident_a", password="wrong-password-1")),
        "logout": ("/logout/", _form()),
        "set_language": ("/i18n/setlang/", _form(language="en", next="/")),
        "api-docs": ("/api/docs/", None),
        "schema": ("/api/schema/", None),
        "dashboard": ("/", None),
        "place-detail": (f"/places/{a}/", None),
        "residents:register": ("/register/", None),
        "residents:unit": (f"/register/units/{w['unit_a'].pk}/", None),
        "residents:import-new": ("/register/imports/", _multipart(estate=a, file=_register_file())),
        "residents:import-detail": (f"/register/imports/{w['import_job'].pk}/", None),
        "residents:import-template-csv": ("/register/imports/template.csv", None),
        "residents:import-template-xlsx": ("/register/imports/template.xlsx", None),
        "elections:index": ("/votes/", None),
        "elections:code": ("/votes/code/", _form(code="ABCD-EFGH-JKLM")),
        "elections:vote": (f"/votes/{vote}/", None),
        "elections:cast": (f"/votes/{vote}/cast/", _form(owner=w["owner_a"].pk, choice="for")),
        "elections:bulletin": (f"/votes/{vote}/bulletin/", None),
        "elections:paper": (
            f"/votes/{vote}/paper/",
            _form(channel="central", serial="P-001", unit="1栋-1-203", marks="1"),
        ),
        "elections:roll": (f"/votes/{vote}/roll/", None),
        "elections:codes": (f"/votes/{vote}/codes/", _form()),
        "committees:overview": ("/committees/", None),
        "committees:estate-public": (f"/committees/estates/{a}/", None),
        "committees:meeting-detail": (f"/committees/meetings/{w['meeting'].pk}/", None),
        "committees:attachment": (f"/committees/attachments/{w['attachment'].pk}/", None),
        "committees:statement-detail": (f"/committees/statements/{w['statement'].pk}/", None),
        "committees:statement-pdf": (f"/committees/statements/{w['statement'].pk}/pdf/", None),
        "committees:statement-xlsx": (f"/committees/statements/{w['statement'].pk}/xlsx/", None),
    }


def _web_pages(w) -> dict:
    """The pages of web/: each role's workspace, lists, forms, the desk, reports and the audit trail."""
    today = w["today"]
    a, vote = w["estate_a"].pk, w["vote_voting"].pk
    meeting = w["meeting_open"].pk
    return {
        "web:favicon": ("/favicon.ico", None),
        "web:mine": ("/mine/", None),
        "web:desk": ("/desk/", None),
        "web:vote-desk": (
            f"/desk/{vote}/",
            _form(step="issue", **{"issue-prefix": "Q", "issue-first": 1, "issue-last": 2, "issue-width": 3}),
        ),
        "web:desk-reconciliation": (f"/desk/{vote}/reconciliation/", None),
        "web:desk-serials": (f"/desk/{vote}/serials/?prefix=P-&first=1&last=2&width=3", None),
        "web:turnout": ("/turnout/", None),
        "web:estates": ("/estates/", None),
        "web:obligations": ("/obligations/", None),
        "web:petitions": ("/petitions/", None),
        "web:meetings": ("/meetings/", None),
        "web:spending-list": ("/spending/", None),
        "web:estate": (f"/estates/{a}/", None),
        "web:estate-tab#ledger": (f"/estates/{a}/ledger/", None),
        "web:estate-tab#spending": (f"/estates/{a}/spending/", None),
        "web:estate-tab#obligations": (f"/estates/{a}/obligations/", None),
        "web:estate-tab#meetings": (f"/estates/{a}/meetings/", None),
        "web:meeting-new": (
            f"/estates/{a}/meetings/new/",
            _form(kind="deliberation", title="议事会", held_at=f"{today.isoformat()} 19:00"),
        ),
        "web:meeting-manage": (f"/meetings/{meeting}/manage/", _form(step="minutes", **{"min-minutes": "纪要"})),
        "web:income-new": (
            f"/estates/{a}/ledger/income/",
            _multipart(source="4001", amount="100.00", date=today.isoformat(), memo="广告", voucher=pdf("i.pdf")),
        ),
        "web:transaction-reverse": (f"/ledger/{w['income'].pk}/reverse/", _form(reason="录错")),
        "web:voucher": (f"/ledger/{w['income'].pk}/voucher/", None),
        "web:statement-new": (
            f"/estates/{a}/statements/new/",
            _form(period_start=w["next_period"][0].isoformat(), period_end=w["next_period"][1].isoformat()),
        ),
        "web:spending-new": (
            f"/estates/{a}/spending/new/",
            _form(payee="某公司", purpose=w["accounts"]["5101"].code, amount="800.00"),
        ),
        "web:spending": (
            f"/spending/{w['spending_to_supervise'].pk}/",
            _form(step="approve", **{"ok-stage": "supervision", "ok-seen": "比价单"}),
        ),
        "web:contract-new": (
            f"/estates/{a}/contracts/new/",
            _form(company=w["company"].pk, start="2029-01-01", end="2030-12-31", fee_per_m2_month="2.10"),
        ),
        "web:contract": (f"/contracts/{w['contract'].pk}/", _form(noted_on=today.isoformat(), text="及时", rating="")),
        "web:project": (f"/projects/{w['project'].pk}/", _form(step="milestone", **{"ms-title": "试压"})),
        "web:queue": ("/queue/", None),
        "web:reports": (
            "/reports/",
            _form(
                kind="overview",
                place=w["district"].pk,
                start=f"{today.year}-01-01",
                end=today.isoformat(),
                format="csv",
            ),
        ),
        "web:report": (f"/reports/{w['report'].pk}/", None),
        "web:report-progress": (f"/reports/{w['report'].pk}/progress/", None),
        "web:report-download": (f"/reports/{w['report'].pk}/download/", None),
        "web:audit-trail": ("/audit/", None),
        "web:audit-export": ("/audit/export/", None),
    }


def _form(**data):
    return (data, "form")


# The harness -------------------------------------------------------------------------------------------------------

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Refusals that are themselves records: a refused ballot is logged (who tried what, and why), a failed login is
# counted (django-axes). These tables may change on a refused write; nothing else may. (Sessions, where a page
# keeps its refusal's message, are signed cookies here: no table.)
REFUSAL_RECORDS = {"elections_refusedballot", "axes_accessattempt", "axes_accessfailurelog"}


@functools.cache
def api_operations(urlconf=None) -> frozenset[tuple[str, str]]:
    """Every (method, route) of the OpenAPI schema."""
    schema = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    return frozenset(
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    )


def page_names(urlconf=None) -> set[str]:
    """Every named URL outside the API and the admin (the pages people open)."""
    names = set()

    def walk(patterns, prefix="", namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                route = prefix + str(p.pattern)
                if route.startswith(("api/v1/", "admin/")):
                    continue
                ns = ":".join(filter(None, [namespace, p.namespace])) or None
                walk(p.url_patterns, route, ns)
            elif isinstance(p, URLPattern) and p.name:
                names.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver(urlconf).url_patterns)
    return names


def rows_missing(matrix: dict, operations, pages) -> dict[str, list]:
    """What the table and the routes disagree on: routes without a row, rows without a route."""
    api_rows = {(method, route.split("#")[0]) for method, route in matrix if route.startswith("/api/")}
    page_rows = {route.split("#")[0] for _method, route in matrix if not route.startswith("/api/")}
    found = {
        "API operations without a row": sorted(set(operations) - api_rows),
        "rows for API operations that no longer exist": sorted(api_rows - set(operations)),
        "pages without a row": sorted(set(pages) - page_rows),
        "rows for pages that no longer exist": sorted(page_rows - set(pages)),
    }
    return {what: items for what, items in found.items() if items}


def _write_counts() -> dict[str, int]:
    """Rows inserted, updated or deleted so far in this transaction, per table (PostgreSQL's own counters).

    The counters keep what a rolled-back savepoint did, so an unchanged count proves that no row was
    touched; a changed one only says which tables to compare row by row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
            " WHERE schemaname = current_schema()"
        )
        return dict(cursor.fetchall())


def table_digests(tables=None) -> dict[str, str]:
    """The row count and a digest of every row of each table (all tables by default)."""
    tables = sorted(tables if tables is not None else connection.introspection.table_names())
    if not tables:
        return {}
    parts = [
        f"SELECT '{t}', count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM \"{t}\" x"
        for t in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return dict(cursor.fetchall())


def changed_tables(w, before: dict[str, int], after: dict[str, int]) -> list[str]:
    """The tables whose rows differ from the world's, among those whose write counters moved from ``before``."""
    touched = [t for t, n in after.items() if n != before.get(t, 0) and t not in REFUSAL_RECORDS]
    now = table_digests(touched)
    return sorted(t for t in touched if now[t] != w["baseline"].get(t))


def _object(w, key: str):
    if ":" in key:
        group, role = key.split(":")
        return {"user": w["users"], "notice": w["notices"]}[group][role]
    return w[key]


def _queries(w) -> dict:
    a, today = w["estate_a"].pk, w["today"]
    return {
        "/api/v1/ledger/transactions/verify/": f"?estate={a}",
        "/api/v1/petitions/export/": f"?place={w['community_a'].pk}&file_type=csv",
        "/api/v1/projects/expert-candidates/": f"?estate={a}",
        "/api/v1/reports/figures/": f"?kind=overview&place={w['district'].pk}&start={today.year}-01-01&end={today}",
        "/api/v1/statements/preview/": f"?estate={a}",
    }


def api_path(w, method: str, key: str) -> str:
    """The address of the row ``(method, key)`` (an API route, with a variant after ``#``) in the world."""
    route = key.split("#")[0]
    segment = route.removeprefix("/api/v1/").split("/{")[0].rstrip("/")
    main = (
        OBJECTS_BY_OPERATION.get((method, key))
        or OBJECTS_BY_ROUTE.get(key)
        or OBJECTS_BY_ROUTE.get(route)
        or OBJECTS_BY_SEGMENT.get(segment)
    )
    path = route + _queries(w).get(route, "")
    if "{id}" in path:
        path = path.replace("{id}", str(_object(w, main).pk))
    for name, sub in SUB_OBJECTS.items():
        path = path.replace("{" + name + "}", str(_object(w, sub).pk))
    return path


def _rows(w) -> dict:
    """Every row the table must have: (method, route or page) -> (path, body maker)."""
    # Which table holds each body: a request rebuilds only its own table (uploaded files are read once).
    table_of = {key: table for table in _body_tables() for key in table(w)}
    rows = {}
    for method, route in sorted(set(api_operations()) | {k for k in table_of if "#" in k[1]}):
        table = table_of.get((method, route))
        maker = (lambda t=table, k=(method, route): t(w)[k]) if table and table(w)[(method, route)] else None
        rows[(method, route)] = (api_path(w, method, route), maker)
    for table in (_lower_pages, _web_pages):
        for name, (path, body) in table(w).items():
            rows[("GET", name)] = (path, None)
            if body is not None:
                rows[("POST", name)] = (path, lambda t=table, n=name: t(w)[n][1])
    return rows


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module inside a transaction rolled back at its end; a client per role.

    Sessions live in signed cookies here: a request reads no session row, and the matrix makes thousands."""
    if connection.vendor != "postgresql":  # checked here too: this fixture runs before the marker's check
        _missing("needs PostgreSQL (DATABASE_URL pointing at it)")
    media = tmp_path_factory.mktemp("media")
    signed = "django.contrib.sessions.backends.signed_cookies"
    with override_settings(MEDIA_ROOT=media, SESSION_ENGINE=signed), django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            w = build()
            w["clients"] = {role: APIClient() for role in ROLES}
            for role, client in w["clients"].items():
                if role != "anonymous":
                    client.force_login(w["users"][role])
            w["cookies"] = {role: copy.deepcopy(client.cookies) for role, client in w["clients"].items()}
            w["baseline"] = table_digests()
            w["rows"] = _rows(w)
            yield w
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _send(client, method: str, path: str, body):
    if body is None:
        return getattr(client, method.lower())(path)
    data, kind = body
    if kind == "json":
        return getattr(client, method.lower())(path, data=json.dumps(data), content_type="application/json")
    if kind == "form" and method != "POST":
        return getattr(client, method.lower())(path, data=urlencode(data, doseq=True))
    return getattr(client, method.lower())(path, data=data)  # multipart (Django's default for POST)


def _body_for(w, role: str, make_body):
    body = make_body() if make_body else None
    if body == "self-grant":
        # Every role asks for the district auditor's role for itself, at the estate every A role can see.
        user = w["users"].get(role)
        body = _json(user=user.pk if user else 0, role="district_auditor", place=w["estate_a"].pk)
    return body


def answers(w, method: str, path: str, make_body) -> list[tuple[int, list[str]]]:
    """Each role's status code, and the tables its request changed (the write rolled back after each role).

    The write counters survive a rolled-back savepoint, so one reading after each request serves as the
    next request's starting point."""
    out = []
    counts = _write_counts() if method in WRITE_METHODS else None
    for role in ROLES:
        cache.clear()  # attempt counters and throttles: every cell starts afresh
        client = w["clients"][role]
        sid = transaction.savepoint()
        try:
            response = _send(client, method, path, _body_for(w, role, make_body))
            changed = []
            if counts is not None:
                after = _write_counts()
                changed, counts = changed_tables(w, counts, after), after
            out.append((response.status_code, changed))
        finally:
            transaction.savepoint_rollback(sid)
        if response.cookies:  # a login, a logout, a cycled session: the next row acts as the role again
            client.cookies = copy.deepcopy(w["cookies"][role])
    return out


def expected_answers(cells: str) -> list[tuple[int, bool]]:
    """A row's cells as (status, whether a change is allowed): 2xx and a logged-in 302 are done, the rest refused.

    A cell ``302x`` is a page that refuses by sending the visitor elsewhere (with a message): nothing written."""
    out = []
    for role, cell in zip(ROLES, cells.split(), strict=True):
        code = int(cell.rstrip("x"))
        done = 200 <= code < 300 or (code == 302 and not cell.endswith("x") and role != "anonymous")
        out.append((code, done))
    return out


def test_every_route_has_a_row():
    """An API operation or a page without a row fails here: someone must decide who may use it."""
    assert rows_missing(MATRIX, api_operations(), page_names()) == {}


def _fake_view(request):  # pragma: no cover - never called, only routed
    raise AssertionError


class _FakeSet(viewsets.GenericViewSet):
    serializer_class = serializers.Serializer
    queryset = User.objects.none()

    def list(self, request):  # pragma: no cover
        raise AssertionError


def test_an_endpoint_added_without_a_row_is_named():
    """A new page or API route, added to a copy of the URL configuration, shows up as missing from the table."""
    router = DefaultRouter()
    router.register("fake-things", _FakeSet, basename="fake-thing")
    urlconf = types.ModuleType("matrix_fake_urls")
    urlconf.urlpatterns = [
        url("api/v1/", include(router.urls)),
        url("fake-page/", _fake_view, name="fake-page"),
        *get_resolver().url_patterns,
    ]
    missing = rows_missing(MATRIX, api_operations(urlconf), page_names(urlconf))
    assert ("GET", "/api/v1/fake-things/") in missing["API operations without a row"]
    assert "fake-page" in missing["pages without a row"]


def test_every_row_has_an_answer_for_each_role():
    for key, cells in MATRIX.items():
        assert len(cells.split()) == len(ROLES), key
        assert all(re.fullmatch(r"\d{3}x?", cell) for cell in cells.split()), key


KEYS = sorted(MATRIX)


@pytest.mark.parametrize("key", KEYS, ids=[f"{m} {r}" for m, r in KEYS])
def test_each_role_gets_the_answer_the_table_gives(world, key):
    method = key[0]
    path, make_body = world["rows"][key]
    got = answers(world, method, path, make_body)
    expected = expected_answers(MATRIX[key])
    wrong = [
        f"{role}: expected {e}, got {g}" for role, (e, _), (g, _) in zip(ROLES, expected, got, strict=True) if e != g
    ]
    assert not wrong, f"{method} {path}: " + "; ".join(wrong)
    changed = [
        f"{role} changed {tables}"
        for role, (_, done), (_, tables) in zip(ROLES, expected, got, strict=True)
        if tables and not done
    ]
    assert not changed, f"{method} {path}: a refused request changed the database: " + "; ".join(changed)


def test_a_refused_write_that_left_a_row_behind_is_seen(world):
    """The check itself: a row written and left in place is found, in the table that holds it."""
    counts = _write_counts()
    sid = transaction.savepoint()
    User.objects.filter(pk=world["users"]["resident_a"].pk).update(first_name="x")
    try:
        assert changed_tables(world, counts, _write_counts()) == ["governance_user"]
    finally:
        transaction.savepoint_rollback(sid)
    assert changed_tables(world, counts, _write_counts()) == []  # counted as written, but the rows are as before


@pytest.mark.skipif(not os.environ.get("MATRIX_RECORD"), reason="opt-in: MATRIX_RECORD=<file> writes today's answers")
def test_record(world):
    """Write every row's answers as the code gives them today, in MATRIX's format (to read, judge, then edit).

    Never what the table is compared with: each row of MATRIX was read against the rights it states."""
    lines = []
    for key, (path, make_body) in sorted(world["rows"].items()):
        got = answers(world, key[0], path, make_body)
        note = (
            "  # changed: " + "; ".join(f"{r} {t}" for r, (_, t) in zip(ROLES, got, strict=True) if t)
            if any(t for _, t in got)
            else ""
        )
        lines.append(f'    {key!r}: "{" ".join(f"{c:>4}" for c, _ in got)}",{note}')
    with open(os.environ["MATRIX_RECORD"], "w") as fh:
        fh.write("\n".join(lines) + "\n")
