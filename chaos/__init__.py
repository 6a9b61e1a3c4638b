"""The fault suite: each scenario seeds a ground truth of its own (KPIs, units and measures with
known values, under codes no other scenario uses), feeds it through the running platform the way a
hospital feed does, injects one fault (a process killed with SIGKILL, PostgreSQL, Kafka or SMTP
stopped, poison messages, a full replay, a rebalance ...), and then compares the ground truth with
what the platform holds: every measure stored once with its value, every roll-up and chart right,
every event the charts caused handled downstream, every expected email received exactly once.

    python -m chaos                      # env chaos: start it, run every scenario, print the table, stop it
    python -m chaos --only poison,relay_kill
    make chaos

The layers: ``stack`` (the running environment and the faults it can suffer), ``truth`` (a
scenario's catalogue, its measure events and the checks), ``feed`` (a plain Kafka producer that
resends until the broker acknowledges), ``scenarios`` (the faults), ``report`` (the table).
docs/development.md says what each scenario proves.
"""
