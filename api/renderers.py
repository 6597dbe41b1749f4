from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API for signed-in staff, under the site's Content-Security-Policy: without
    DRF's inline <style> (Pygments' colours) and its filter dialog (a button with a style attribute);
    the filters are query parameters, listed on the docs page."""

    def get_filter_form(self, data, view, request):
        return None

    def get_context(self, data, accepted_media_type, renderer_context):
        context = super().get_context(data, accepted_media_type, renderer_context)
        context["code_style"] = None
        return context
