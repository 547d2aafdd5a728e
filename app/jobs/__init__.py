"""jobs area: the web export and the letters, run in the background with their progress in the database."""
