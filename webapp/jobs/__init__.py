"""Work done after commit, on a worker: emails, reminders, large files.

An operation records what it causes (an `OutboundEmail` row, a `Job`) inside its own
transaction; once that transaction commits, the job ids are handed to the Huey queue,
and a worker (`flask --app wsgi jobs work`, or the one `flask --app wsgi serve` starts
beside the development server) does the work. The database row is the durable record:
if the queue loses a task (a crash between commit and enqueue, Redis restarted), the
periodic sweep hands it to the queue again, so nothing acknowledged is lost.
"""
