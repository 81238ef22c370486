"""One blueprint per area of the site."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from forum.views import auth, communities, errors, forums, main

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(communities.bp)
    app.register_blueprint(forums.bp)
    errors.init_app(app)
