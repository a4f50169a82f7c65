"""Files: packaged data files and their validation, model files (PLY, JSON), atomic writes."""
