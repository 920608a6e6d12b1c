#pragma once
// Joining the shards of a sweep (`gammalab sweep SPEC -o PART --shard i/k`, one per
// job of a job array) into the directory one process would have written: the same
// runs.csv and curves.csv, byte for byte, and the same manifest but for the keys that
// say how it ran (`device`, `wall_seconds`, and `shards`, which lists the parts).
#include <filesystem>
#include <vector>

namespace gammalab::sim {

// Writes the merged runs.csv, curves.csv and manifest.json into `output` (created).
// InputError, naming the directory at fault, when a part is not a shard's complete
// directory or a file of it differs from its manifest's checksums, when parts hold
// different specs or were written by different programs, and when a shard is given
// twice or is missing. The merged manifest records the merged files' checksums.
void merge_shards(const std::vector<std::filesystem::path>& parts, const std::filesystem::path& output);

}  // namespace gammalab::sim
