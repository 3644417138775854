"""The Qt screens. Widgets call hall_app services and render what comes back; no SQLAlchemy here."""
