"""Web pages of owners' votes; the project includes these under ``votes/``."""

from django.urls import path

from elections import views

app_name = "elections"

urlpatterns = [
    path("", views.index, name="index"),
    path("code/", views.enter_code, name="code"),
    path("<int:pk>/", views.vote_page, name="vote"),
    path("<int:pk>/cast/", views.cast, name="cast"),
    path("<int:pk>/bulletin/", views.bulletin, name="bulletin"),
    path("<int:pk>/paper/", views.paper_entry, name="paper"),
    path("<int:pk>/roll/", views.roll_notice, name="roll"),
    path("<int:pk>/codes/", views.voting_codes, name="codes"),
]
