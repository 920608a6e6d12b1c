#pragma once
// How the users of a front end write the parts of a sweep's request that the
// simulator's messages mention. sim/ names no option of any front end itself: the
// command line sets these to its flags (-o, --resume, …), the Python module to its
// keyword arguments (out, resume=True, …); a program that sets nothing gets plain words.
#include <string>

namespace gammalab::sim {

struct RequestNames {
  std::string output = "output";            // the directory a sweep writes
  std::string resume = "resume";            // what continues a sweep in its directory
  std::string shard = "shard";              // which part of a sweep a process runs, i/k
  std::string split_seeds = "split seeds";  // the analysis of two halves of the seeds
  std::string shards = "shards";            // the shards' directories that merge joins
};

// Set once by the front end before any work starts.
inline RequestNames& request_names() {
  static RequestNames names;
  return names;
}

}  // namespace gammalab::sim
