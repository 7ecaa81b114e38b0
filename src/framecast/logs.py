"""The log line format shared by the API, the workers and the command line."""

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
