"""One blueprint per area of the site."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from flask_login import current_user

    from forum.views.util import IdConverter

    app.url_map.converters["id"] = IdConverter

    # Macros are imported without the template's context: give them the viewer.
    app.jinja_env.globals["current_user"] = current_user
    from forum.services.reading import unread_cap

    app.jinja_env.globals["unread_cap"] = unread_cap

    from forum.views import (
        admin,
        auth,
        certificates,
        committees,
        communities,
        curation,
        email,
        errors,
        exports,
        forums,
        main,
        members,
        moderation,
        newsletters,
        notifications,
        organize,
        posts,
        profiles,
        resources,
        search,
        webinars,
    )

    for module in (main, auth, communities, members, resources, organize, moderation, forums, posts, notifications,
                   search, profiles, admin, email, newsletters, webinars, certificates, exports, committees, curation):
        app.register_blueprint(module.bp)
    errors.init_app(app)
