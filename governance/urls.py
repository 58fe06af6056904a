from django.contrib.auth import views as auth_views
from django.urls import path

from governance import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("places/<int:pk>/", views.place_detail, name="place-detail"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
