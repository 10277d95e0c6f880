from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from api.params import whole_number

MAX_PAGE_SIZE = 100


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page-number pagination, strict about its parameters.

    DRF silently falls back to the default for a bad ``page_size`` and answers
    404 for a non-numeric ``page``; here both are a 400 naming the parameter.
    A page past the end stays a 404.
    """

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_page_message = "Page {page_number} does not exist: {message}."

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":  # absent, or sent empty (allowEmptyValue in the schema)
            return self.page_size
        size = whole_number(raw)
        if size is None or not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"Must be a whole number from 1 to {self.max_page_size}, not {raw!r}."]}
            )
        return size

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param, "")
        if raw == "":
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        number = whole_number(raw)
        if number is None or number < 1:
            raise ValidationError({self.page_query_param: [f"Must be a whole number from 1 (or 'last'), not {raw!r}."]})
        return number

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size, "default": self.page_size})
                parameter["description"] = (
                    f"Number of results per page (default {self.page_size}, at most {self.max_page_size})."
                )
            elif parameter["name"] == self.page_query_param:
                # At most 18 digits: a larger number is refused, not looked up.
                parameter["schema"] = {"type": "string", "pattern": "^([1-9][0-9]{0,17}|last)$"}
                parameter["description"] = "Page number from 1, or `last`."
        return parameters
