"""Inputs: source files a tenant uploads (``POST /inputs``) and then names by URL in any job.

``store`` keeps their rows, ``receive`` stores the bytes (kind sniffed, size capped by kind),
``links`` signs and recognises their URLs, ``resolve`` turns them into what a worker fetches
when a job is submitted, and ``sweep`` deletes the expired ones.
"""
