{
  "targets": [
    {
      "target_name": "steward_native",
      "sources": ["addon.c", "malloc-trim.c", "aligned-buffer.c"]
    }
  ]
}
