"""Channel adapters: the senders (and receivers) that talk to Telegram and Twilio for the outbox."""
