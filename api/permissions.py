from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsAuthorOrReadOnly(BasePermission):
    """Anyone may read; only the author may change or delete."""

    message = "Only the author may change or delete this."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        # Compare ids: fetching the author would be a query on another database.
        return obj.author_id == request.user.pk
