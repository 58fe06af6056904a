from django.urls import path

from residents import views

app_name = "residents"

urlpatterns = [
    path("", views.register, name="register"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("imports/", views.import_new, name="import-new"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/template.csv", views.import_template, {"file_type": "csv"}, name="import-template-csv"),
    path("imports/template.xlsx", views.import_template, {"file_type": "xlsx"}, name="import-template-xlsx"),
]
