from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from tests.package.notes.models import Note


@csrf_exempt
def notes(request):
    if request.method == "POST":
        note = Note.objects.create(text=request.POST.get("text", ""))
        return JsonResponse({"id": note.pk}, status=201)
    return JsonResponse({"notes": list(Note.objects.values_list("text", flat=True))})


urlpatterns = [path("notes/", notes)]
