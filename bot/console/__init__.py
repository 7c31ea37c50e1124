"""The organisers' web console at /console: a one-time link from the bot's /console logs an organiser in; pages
show what is waiting and act through the same services as the bot and the CLI. See docs/console.md."""
