"""The result cache: a task whose inputs are unchanged is replayed instead of run.

- `files`: every file under the root and its digest, kept fresh by an index of file stats;
- `keys`: each task's key, a digest of everything that can change its result;
- `store`: entries and build outputs on disk, written atomically, bounded in size;
- `shared`: the remote cache as a tier behind the store (`remote` the HTTP client,
  `remote_settings` its settings, `artifact` what is uploaded);
- `codec`: outcomes to and from plain data;
- `replay`: the wrapper around the executor that replays green outcomes and records new ones;
- `stamps`: the marks that say a command (making an environment) need not run again.
"""
