"""Web pages of the register: upload a register file and watch its import."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from governance.models import Place, PlaceKind
from governance.scoping import Action
from residents import services
from residents.models import ImportJob


class ImportForm(forms.Form):
    estate = forms.ModelChoiceField(label=_("小区"), queryset=Place.objects.none())
    file = forms.FileField(label=_("登记册文件（CSV 或 XLSX）"))
    on = forms.DateField(
        label=_("产权变更生效日期（默认今天）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = Place.objects.restrict(user, Action.CHANGE).filter(kind=PlaceKind.ESTATE)


@login_required
def import_new(request):
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.register_import_submit(
                estate=form.cleaned_data["estate"],
                file=form.cleaned_data["file"],
                on=form.cleaned_data["on"],
                actor=request.user,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("residents:import-detail", pk=job.pk)
    jobs = ImportJob.objects.visible_to(request.user).select_related("estate")[:20]
    return render(request, "residents/import_new.html", {"form": form, "jobs": jobs})


@login_required
def import_detail(request, pk: int):
    job = get_object_or_404(ImportJob.objects.visible_to(request.user).select_related("estate"), pk=pk)
    return render(request, "residents/import_detail.html", {"job": job})
