"""The worker: the outbox relay (database events -> RabbitMQ) and the task consumers."""
