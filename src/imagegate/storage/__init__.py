"""Where files live: the BlobStore (local directory, later S3) and signed file URLs."""
