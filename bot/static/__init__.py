"""The sandbox page: plain HTML, CSS and JavaScript served by the web app, with nothing fetched from elsewhere."""
