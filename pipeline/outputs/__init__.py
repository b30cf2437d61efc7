"""What a run leaves for people and programs: the JSON, text and Parquet files (``export``), searchable
PDFs (``searchable_pdf``), the HTML review site (``report``) and scores against hand transcriptions
(``evaluate``).
"""
