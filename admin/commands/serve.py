# Loopback only: the admin is an inspection tool for whoever runs it; put it
# behind a reverse proxy with HTTPS (and --production) to share it.
HOST = "127.0.0.1"


def serve(port: int = 8000, production: bool = False):
    """
    Serve Piccolo Admin on http://127.0.0.1:<port>/admin/ against the
    project's database (the same one as every other piccolo command).

    :param port:
        The TCP port to listen on.
    :param production:
        Set when served behind HTTPS: the session cookie gets the Secure flag.
    """
    # Imported here, not at module level: every `piccolo` command loads this
    # app's config, and only this one needs uvicorn, FastAPI and the admin.
    import uvicorn

    from admin.app import create_app

    uvicorn.run(create_app(production=production), host=HOST, port=port)
