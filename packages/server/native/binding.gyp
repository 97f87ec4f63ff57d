{
  "targets": [
    {
      "target_name": "steward_native",
      "sources": ["malloc-trim.c"]
    }
  ]
}
