"""Publishes the training outbox to Kafka (training events, and measure.recorded for the training KPI)."""

from shared.processes import run_relay

if __name__ == "__main__":
    run_relay("training")
