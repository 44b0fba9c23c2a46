"""The Textual face of studyllm. Build the app with :func:`studyllm.ui.app.build_app`."""
