from django.contrib.auth import views as auth_views
from django.urls import path

from governance import views

# The home page (``dashboard``) is the web layer's: it reads every app (web/views/workspace.py).
urlpatterns = [
    path("places/<int:pk>/", views.place_detail, name="place-detail"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
