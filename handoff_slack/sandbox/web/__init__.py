"""The sandbox's page: its server (``server``), what each person sees and does (``workspace``,
``people``, ``personas``) and the static files of the page itself (``static/``)."""
