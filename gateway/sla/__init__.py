"""SLA clocks in the running gateway: `refresh` keeps a ticket's stored clocks true (the ticket
service calls it after every change), `worker` warns and records breaches as they fall due,
`report` sums attainment, `views` gives every reader (API, CLI, workspace) a ticket's clocks at
`now`. The clocks themselves are computed by the pure `policies.clocks`."""
