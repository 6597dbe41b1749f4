from django.core.paginator import Paginator
from django.shortcuts import render

from . import selectors


def home(request):
    clients = selectors.client_list_visible(user=request.user)
    return render(request, "crm/home.html", {"client_count": clients.count()})


def client_list(request):
    clients = selectors.client_list_visible(user=request.user).select_related("primary_manager")
    page = Paginator(clients, 50).get_page(request.GET.get("page"))
    return render(request, "crm/client_list.html", {"page": page})


def client_detail(request, pk: int):
    client = selectors.client_get_visible(user=request.user, pk=pk)
    return render(request, "crm/client_detail.html", {"client": client})
