"""Web pages of the committees app; the project includes them under ``committees/``."""

from django.urls import path

from committees import views

app_name = "committees"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("estates/<int:estate_id>/", views.estate_public, name="estate-public"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("statements/<int:pk>/", views.statement_detail, name="statement-detail"),
    path("statements/<int:pk>/pdf/", views.statement_pdf, name="statement-pdf"),
    path("statements/<int:pk>/xlsx/", views.statement_xlsx, name="statement-xlsx"),
]
