// The JSON API of `gammalab serve`, called as functions: the engine's documents, bad
// input as 400 with the field, and result directories read without leaving the folder.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "experiments/engine_report.hpp"
#include "experiments/explorer_api.hpp"
#include "result_files.hpp"
#include "sim/sweep/manifest.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/summary.hpp"
#include "sim/analysis/results_view.hpp"

namespace fs = std::filesystem;
using namespace gammalab::experiments;

TEST_CASE("engine: the predict document is the CLI's, with solve and the phase diagram beside it") {
  ApiReply reply = engine_reply({{"scheme", "A"}, {"eta", "-1/2"}});
  REQUIRE(reply.status == 200);
  ModelOptions options;
  options.scheme = "A";
  options.eta = "-1/2";
  CHECK(reply.body["predict"] == predict_report(options, 0).json());
  CHECK(reply.body["explain"] == explain_report(options, 0).json());
  CHECK(reply.body["predict"]["max_stable_eta"]["value"] == "-1/2");
  CHECK(reply.body["predict"]["verdicts"]["from_settled"]["efficient"] == true);
  // Theorem 1: Init[A] is stable up to γ[η] = -1/2 and learns efficiently there.
  CHECK(reply.body["solve"]["verdicts"]["every_step"]["stable"] == "(-inf, -1/2]");
  CHECK(reply.body["solve"]["verdicts"]["from_settled"]["efficient"] == "{-1/2}");
  CHECK(reply.body["phase"]["x"] == "eta_A");
  CHECK(reply.body["phase"]["from_settled"]["efficient"].size() == 1);

  // Theorem 2: Init[B] only up to -1, feature learning at -1, never efficient.
  ApiReply b = engine_reply({{"scheme", "B"}, {"eta", "-1/2"}});
  REQUIRE(b.status == 200);
  CHECK(b.body["predict"]["verdicts"]["every_step"]["stable"] == false);
  CHECK(b.body["solve"]["verdicts"]["every_step"]["stable"] == "(-inf, -1]");
  CHECK(b.body["solve"]["verdicts"]["from_settled"]["feature_learning"] == "{-1}");
  CHECK(b.body["solve"]["verdicts"]["from_settled"]["efficient"] == "empty");
}

TEST_CASE("engine: separate learning rates, the network, and empty values left out") {
  ApiReply reply = engine_reply({{"scheme", "A"}, {"eta_A", "-1"}, {"eta_B", "0"}, {"setting", "network"},
                                 {"readout", "mup"}, {"sigma_A", ""}, {"steps", "4"}});
  REQUIRE(reply.status == 200);
  CHECK(reply.body["predict"]["model"]["eta_A"] == "-1");
  CHECK(reply.body["predict"]["model"]["eta_B"] == "0");
  CHECK(reply.body["predict"]["steps"].size() == 5);
  CHECK(reply.body["predict"]["verdicts"]["every_step"].contains("binding"));
}

// What the page sends when a user picks "network" and "SGD": the answer comes, with the
// phase diagram's refusal at the engine's work limit in place of the diagram.
TEST_CASE("engine: the network setting under SGD answers, the phase diagram refused at the work limit") {
  ApiReply reply = engine_reply({{"scheme", "A"}, {"setting", "network"}, {"optimizer", "sgd"}, {"eta", "-1/2"}});
  REQUIRE(reply.status == 200);
  CHECK(reply.body["predict"]["model"]["optimizer"] == "sgd");
  CHECK(reply.body["solve"]["horizon"] == 16);
  REQUIRE(reply.body["phase"].contains("error"));
  CHECK(reply.body["phase"]["error"].get<std::string>().find("work limit") != std::string::npos);
}

TEST_CASE("engine: bad input is 400 with the engine's message and the field it is about") {
  auto refused = [](const ApiQuery& query, const std::string& field, const std::string& words) {
    ApiReply reply = engine_reply(query);
    CAPTURE(reply.body.dump());
    CHECK(reply.status == 400);
    CHECK(reply.body["field"] == field);
    CHECK(reply.body["error"].get<std::string>().find(words) != std::string::npos);
  };
  refused({{"scheme", "A"}, {"eta_A", "-3/"}}, "eta_A", "'-3/' is not an exponent");
  refused({{"scheme", "A"}, {"eta", "abc"}}, "eta", "is not an exponent");
  refused({{"scheme", "nope"}}, "scheme", "nope");
  refused({}, "scheme", "choose a scheme");
  refused({{"scheme", "custom"}}, "sigma_A", "needs both");
  refused({{"scheme", "A"}, {"setting", "deep"}}, "setting", "unknown setting 'deep'");
  refused({{"scheme", "A"}, {"readout", "mup"}}, "readout", "network only");
  refused({{"scheme", "A"}, {"steps", "x"}}, "steps", "whole number");
  refused({{"scheme", "A"}, {"steps", "65"}}, "steps", "from 0 to 64");
  refused({{"scheme", "A"}, {"subtract", "maybe"}}, "subtract", "accepted: on, off");
  refused({{"scheme", "A"}, {"colour", "red"}}, "colour", "unknown query key");
  refused({{"scheme", "A"}, {"rho", "1"}}, "rho", "0 ≤ ρ < 1");
  refused({{"scheme", "A"}, {"multiplier", "big"}}, "multiplier", "rslora");
  // A σ left free: predict answers symbolically; the phase diagram says why it cannot.
  ApiReply reply = engine_reply({{"scheme", "A"}, {"sigma_A", "free"}, {"eta", "-1"}});
  REQUIRE(reply.status == 200);
  CHECK(reply.body["phase"].contains("error"));
}

TEST_CASE("engine: the rank exponent ρ and the multiplier, and the engine's rules at that ρ") {
  ApiReply reply = engine_reply({{"scheme", "A"}, {"rho", "1/2"}, {"multiplier", "rslora"}});
  REQUIRE(reply.status == 200);
  ModelOptions options;
  options.scheme = "A";
  options.rho = "1/2";
  options.multiplier = "rslora";
  CHECK(reply.body["solve"] == solve_report(options).json());
  CHECK(reply.body["solve"]["max_stable"]["value"] == "-5/8");
  const auto& rules = reply.body["explain"]["rules"];
  REQUIRE(rules.size() == 4);
  CHECK(rules[1] == "a sum over the width n adds 1 when its two vectors share a random direction (LLN) and 1/2 when they are independent (CLT)");
  CHECK(rules[2] ==
        "a sum over the rank r = n^ρ (here ρ = 1/2) adds 1/2 when its two vectors share a random direction (LLN) and 1/4 when they are "
        "independent (CLT)");
  CHECK(rules[3] == "the adapter's scale s = α/r^κ (here κ = 1/2): γ[s] = γ[α] − κρ = -1/4");
  // A fixed rank: a sum over it adds nothing.
  CHECK(engine_reply({{"scheme", "A"}}).body["explain"]["rules"][2].get<std::string>().find("adds 0 when") != std::string::npos);
}

TEST_CASE("vocabulary: every scheme, custom, the verdicts and the query keys") {
  nlohmann::json vocabulary = vocabulary_document();
  CHECK(vocabulary["schemes"].front()["name"] == "A");
  CHECK(vocabulary["schemes"].back()["name"] == "custom");
  CHECK(vocabulary["verdicts"].front()["key"] == "stable");
  CHECK(vocabulary["optimizers"].size() == 2);
  CHECK(vocabulary["parametrizations"].size() == 5);
  CHECK(vocabulary["alignments"].front()["name"] == "full");
  CHECK(vocabulary["layer_groups"].back()["name"] == "readout");
  CHECK(vocabulary["multipliers"] == nlohmann::json{{{"name", "lora"}, {"title", "LoRA (α/r)"}, {"aliases", nlohmann::json::array()}},
                                                    {{"name", "rslora"}, {"title", "rsLoRA (α/√r)"}, {"aliases", {"rs-lora"}}}});
  for (const char* key : {"rho", "multiplier", "steps", "subtract"})
    CHECK(std::find(vocabulary["engine_keys"].begin(), vocabulary["engine_keys"].end(), key) != vocabulary["engine_keys"].end());
}

namespace {
// The manifest of a small sweep named `name`: valid, as a sweep writes it.
std::string sweep_manifest(const std::string& name, const std::string& status, std::size_t configurations) {
  gammalab::sim::Manifest manifest;
  manifest.spec = gammalab::sim::parse_sweep_spec("[sweep]\nname = \"" + name +
                                                      "\"\nwidths = [16]\nseeds = 1\nschemes = [\"A\"]\nsteps = 10\n"
                                                      "[learning_rate]\nvalues = [0.01]\n",
                                                  name + ".toml");
  manifest.spec_hash = gammalab::sim::spec_hash(*manifest.spec);
  manifest.runs_schema = gammalab::sim::kRunsSchema;
  manifest.configurations = configurations;
  manifest.status = status;
  return nlohmann::json(manifest).dump();
}

fs::path result_root() {
  fs::path root = scratch("explorer-results");
  fs::create_directories(root / "tiny" / "figures");
  std::ofstream(root / "tiny" / "manifest.json") << sweep_manifest("tiny", "running", 8);
  std::ofstream(root / "tiny" / "runs.csv") << "id,scheme\n0,A\n1,A\n2,A";  // the last row half written
  std::ofstream(root / "tiny" / "figures" / "lr_vs_width.png") << "PNG";
  std::ofstream(root / "tiny" / "summary.json") << R"({"schemes": []})";
  // A sweep that refined its edges: three grid runs, then two runs of round 1 and one of round 2.
  fs::create_directories(root / "refined");
  std::ofstream(root / "refined" / "manifest.json") << sweep_manifest("refined", "complete", 3);
  std::ofstream(root / "refined" / "runs.csv") << "id,round,scheme\n0,0,A\n1,0,A\n2,0,A\n3,1,A\n4,1,A\n5,2,A\n";
  gammalab::sim::SweepSummary summary;
  summary.horizons = {10};
  gammalab::sim::ArmSummary arm;
  arm.scheme = "A";
  arm.widths.push_back({});
  arm.widths.back().width = 4096;
  summary.arms.push_back(arm);
  gammalab::sim::write_summary(root / "refined" / "summary.json", summary);
  fs::create_directories(root / "not-a-result");
  std::ofstream(root / "secret.txt") << "beside the directories";
  std::ofstream(fs::path(root).concat("-outside.txt")) << "outside the folder";
  fs::create_symlink(fs::path(root).concat("-outside.txt"), root / "tiny" / "link.txt");
  return root;
}
}  // namespace

TEST_CASE("results: the listing, a directory with its progress, and nothing outside the folder") {
  const fs::path root = result_root();
  ApiReply list = results_list_reply(root);
  REQUIRE(list.body["directories"].size() == 2);
  CHECK(list.body["directories"][0]["name"] == "refined");
  CHECK(list.body["directories"][1]["name"] == "tiny");

  ApiReply tiny = result_reply(root, "tiny");
  REQUIRE(tiny.status == 200);
  CHECK(tiny.body["progress"] ==
        nlohmann::json{{"status", "running"}, {"done", 2}, {"total", 8}, {"refinement_runs", 0}, {"refinement_rounds", 0}});
  CHECK(tiny.body["figures"] == nlohmann::json{"tiny/figures/lr_vs_width.png"});
  CHECK(tiny.body["summary"]["schemes"].is_array());
  CHECK(tiny.body["view"]["error"].get<std::string>().find("summary.json: not a gammalab summary") == 0);

  // The grid counted against the grid, the refinement's runs apart; the summary's view.
  ApiReply refined = result_reply(root, "refined");
  REQUIRE(refined.status == 200);
  CHECK(refined.body["progress"] ==
        nlohmann::json{{"status", "complete"}, {"done", 3}, {"total", 3}, {"refinement_runs", 3}, {"refinement_rounds", 2}});
  CHECK(refined.body["view"] == nlohmann::json(gammalab::sim::results_view(*gammalab::sim::read_summary(root / "refined" / "summary.json"))));
  CHECK(refined.body["view"]["tables"][1]["rows"][0][5]["text"] == "4096");

  CHECK(result_reply(root, "not-a-result").status == 404);
  CHECK(result_reply(root, "..").status == 404);
  CHECK(result_reply(root, "../" + root.filename().string()).status == 404);
  CHECK(result_reply(root, "missing").status == 404);

  CHECK(file_under(root, "tiny/figures/lr_vs_width.png").has_value());
  CHECK(file_under(root, "secret.txt").has_value());
  CHECK_FALSE(file_under(root, "tiny/../secret.txt").has_value());
  CHECK_FALSE(file_under(root, "../" + root.filename().string() + "-outside.txt").has_value());
  CHECK_FALSE(file_under(root, "..").has_value());
  CHECK_FALSE(file_under(root, "/etc/passwd").has_value());
  CHECK_FALSE(file_under(root, "tiny/link.txt").has_value());  // a link leading outside
  CHECK_FALSE(file_under(root, "tiny").has_value());           // a folder is not a file
  CHECK_FALSE(file_under(root, "").has_value());
  CHECK(content_type_of("a/b.png") == "image/png");
  fs::remove_all(root);
  fs::remove(fs::path(root).concat("-outside.txt"));
}

// Every file the result routes read goes through file_under: a result file that is a link
// to a file elsewhere, a scheme name that climbs out of the folder, a result directory
// that is a link to one elsewhere, and a figure that is a link out are all left out.
TEST_CASE("results: links and crafted names never bring a byte from outside the folder") {
  const fs::path root = scratch("explorer-walk") / "results";
  const fs::path outside = root.parent_path() / "outside";
  fs::create_directories(root / "walk" / "figures");
  fs::create_directories(root / "walk" / "coordcheck-x");
  fs::create_directories(outside / "elsewhere");
  fs::create_directories(outside / "secret");
  const std::string secret = R"({"secret": "outside the folder"})";
  std::ofstream(outside / "secret.json") << secret;
  std::ofstream(outside / "secret.png") << "PNG outside";
  std::ofstream(outside / "elsewhere" / "manifest.json") << sweep_manifest("elsewhere", "complete", 1);
  // Scheme names are text from a file: a manifest whose names would walk out of the folder.
  gammalab::sim::Manifest crafted;
  crafted.experiment = gammalab::sim::ExperimentKind::Phase;
  crafted.schemes = {"x/../../../outside/secret", "A"};
  crafted.setting = "module";
  crafted.optimizer = "adam";
  crafted.status = "complete";
  std::ofstream(root / "walk" / "manifest.json") << nlohmann::json(crafted).dump();
  for (const char* file : {"summary.json", "engine.json", "coordcheck-A.json"})
    fs::create_symlink(outside / "secret.json", root / "walk" / file);
  fs::create_symlink(outside / "secret.png", root / "walk" / "figures" / "out.png");
  fs::create_symlink(outside / "elsewhere", root / "elsewhere");

  ApiReply walk = result_reply(root, "walk");
  REQUIRE(walk.status == 200);
  CHECK(walk.body["summary"].is_null());
  CHECK(walk.body["engine"].is_null());
  CHECK(walk.body["coordchecks"] == nlohmann::json::array());
  CHECK(walk.body["figures"] == nlohmann::json::array());
  CHECK(walk.body.dump().find("outside the folder") == std::string::npos);

  ApiReply list = results_list_reply(root);
  REQUIRE(list.body["directories"].size() == 1);
  CHECK(list.body["directories"][0]["name"] == "walk");
  CHECK(result_reply(root, "elsewhere").status == 404);
  CHECK_FALSE(file_under(root, "elsewhere/manifest.json").has_value());
  CHECK_FALSE(file_under(root, "walk/coordcheck-x/../../../outside/secret.json").has_value());
  CHECK_FALSE(file_under(root, "walk/figures/out.png").has_value());
  fs::remove_all(root.parent_path());
}

TEST_CASE("mlp: the deep MLP's answer as gamma mlp --predict --json prints it; a bad key or value names its field") {
  auto reply = mlp_reply({{"parametrization", "mup"}, {"optimizer", "adam"}, {"alignment", ""}});
  REQUIRE(reply.status == 200);
  CHECK(reply.body["command"] == "mlp");
  CHECK(reply.body["alignment"] == "full");  // an empty value is the default
  CHECK(reply.body["groups"]["hidden"]["max_stable"] == "-1");
  CHECK(reply.body["steps"].size() >= 2);
  auto bad_key = mlp_reply({{"width", "3"}});
  CHECK(bad_key.status == 400);
  CHECK(bad_key.body["field"] == "width");
  auto bad_value = mlp_reply({{"layers", "0"}});
  CHECK(bad_value.status == 400);
  CHECK(bad_value.body["field"] == "layers");
  CHECK(bad_value.body["error"].get<std::string>().find("'0' is not a number of hidden layers") != std::string::npos);
}
