"""Publishes the stories outbox to Kafka."""

from shared.processes import run_relay

if __name__ == "__main__":
    run_relay("stories")
