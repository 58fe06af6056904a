from django.urls import path

from residents import views

app_name = "residents"

urlpatterns = [
    path("imports/", views.import_new, name="import-new"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
]
