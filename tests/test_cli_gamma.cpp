#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "run_program.hpp"

namespace {

nlohmann::json run_json(const std::string& arguments) {
  Outcome outcome = run(arguments);
  REQUIRE_MESSAGE(outcome.status == 0, outcome.output);
  return nlohmann::json::parse(outcome.output);
}

void expect_bad_input(const std::string& arguments, const std::string& named) {
  CAPTURE(arguments);
  EXPECT_BAD_INPUT(arguments, named);
}

}  // namespace

TEST_CASE("bad input to every gamma subcommand: exit 2 and a message naming the field") {
  expect_bad_input("gamma predict --scheme Z --eta -1/2", "--scheme: unknown scheme 'Z'; accepted: A, B, AB");
  expect_bad_input("gamma predict --scheme A --eta -1//2", "--eta: '-1//2' is not an exponent");
  expect_bad_input("gamma predict --scheme A --eta 0 --steps 99", "--steps");
  expect_bad_input("gamma predict --scheme A --bogus 1", "bogus");
  expect_bad_input("gamma solve --scheme A --alpha 1/0", "--alpha: '1/0' is not an exponent");
  expect_bad_input("gamma solve --scheme A --eta 0", "exactly one free parameter");
  expect_bad_input("gamma solve --scheme custom --sigma-A -1/2", "--sigma-B: the custom scheme needs both");
  expect_bad_input("gamma solve --scheme A --readout mup", "--readout: applies to --setting network only");
  expect_bad_input("gamma solve --scheme A --setting modul", "--setting");
  expect_bad_input("gamma solve --scheme A --ratio x", "--ratio: 'x' is not an exponent");
  expect_bad_input("gamma solve --scheme A --eta 0 --eta-A 0 --eta-B 0", "--eta: is not used");
  expect_bad_input("gamma explain --scheme A --steps -3", "--steps");
  expect_bad_input("gamma explain --scheme A --sigma-A abc", "--sigma-A: 'abc' is not an exponent");
  expect_bad_input("gamma phase --scheme A --x eta_A --y foo", "--y: unknown parameter 'foo'");
  expect_bad_input("gamma phase --scheme A --x eta_A --y eta_A", "--y: must differ");
  expect_bad_input("gamma phase --scheme A --x eta_A --y eta_B --low 2 --high 1", "--high: must exceed --low");
  expect_bad_input("gamma phase --scheme A --x eta_A --y eta_B --eta-A 0", "--eta-A: is an axis");
  expect_bad_input("gamma table --optimizer rmsprop", "--optimizer");
  expect_bad_input("gamma", "subcommand");
}

// The one case rule: a name in any case, a scheme also by its title, and the answer is
// the canonical name's, whatever was typed.
TEST_CASE("a name typed in any case, or a scheme by its title, answers as the canonical name") {
  const auto b = run_json("gamma solve --scheme B --json");
  CHECK(run_json("gamma solve --scheme b --json") == b);
  CHECK(run_json("gamma solve --scheme init[b] --json") == b);
  const auto rslora = run_json("gamma table --multiplier rslora --optimizer adam --json");
  CHECK(run_json("gamma table --multiplier RsLoRA --optimizer Adam --json") == rslora);
  CHECK(run_json("gamma table --multiplier 1/2 --json") == rslora);
  CHECK(rslora["multiplier"] == "rslora");
}

TEST_CASE("solve --json: Theorems 1 and 2, Init[AB] and a custom scheme") {
  auto b = run_json("gamma solve --scheme B --json");
  CHECK(b["verdicts"]["every_step"]["stable"] == "(-inf, -1]");
  CHECK(b["verdicts"]["from_settled"]["feature_learning"] == "{-1}");
  CHECK(b["verdicts"]["from_settled"]["efficient"] == "empty");
  CHECK(b["max_stable"]["value"] == "-1");

  auto a = run_json("gamma solve --scheme A --json");
  CHECK(a["verdicts"]["from_settled"]["internal_instability"] == "(-1, -1/2]");
  CHECK(a["verdicts"]["every_step"]["feature_learning"] == "empty");
  CHECK(a["settled_from"] == 3);

  auto ab = run_json("gamma solve --scheme AB --json");
  CHECK(ab["verdicts"]["every_step"]["feature_learning"] == "{-1/2}");

  // σ_B = n^-1/4: Z_B = γ[η] + max(γ[σ_A] + 1/2, ...) pins the maximal rate at -3/4.
  auto custom = run_json("gamma solve --scheme custom --sigma-A -1/2 --sigma-B -1/4 --json");
  CHECK(custom["model"]["sigma_B"] == "-1/4");
  CHECK(custom["max_stable"]["value"] == "-3/4");

  auto network = run_json("gamma solve --scheme A --setting network --readout sp --json");
  CHECK(network["verdicts"]["every_step"]["binding"] == "f");
  CHECK(network["max_stable"]["value"] == "-3/4");
}

// The network setting under SGD with both rates free never settles, and each step costs
// more than the last: the engine stops at its work limit and says so, instead of running
// on for ever. With one rate free the same model has an answer.
TEST_CASE("phase in the network setting under SGD answers: a refusal at the work limit, naming it") {
  for (const std::string model : {"--scheme A", "--scheme A --readout mup", "--scheme B"}) {
    CAPTURE(model);
    Outcome outcome = run("gamma phase " + model + " --setting network --optimizer sgd --x eta_A --y eta_B");
    CHECK(outcome.status == 2);
    CHECK(outcome.output.find("work limit (200000 elementary steps") != std::string::npos);
    CHECK(outcome.output.find("fix one of the free parameters") != std::string::npos);
  }
  nlohmann::json solved = run_json("gamma solve --scheme A --setting network --optimizer sgd --json");
  CHECK(solved["horizon"] == 16);
  CHECK(solved["verdicts"]["every_step"]["stable"].is_string());
}

TEST_CASE("predict --json gives every step; explain names the rules; phase gives exact vertices") {
  auto predict = run_json("gamma predict --scheme A --eta -1/2 --steps 4 --json");
  REQUIRE(predict["steps"].size() == 5);
  CHECK(predict["steps"][1]["exponents"]["dA"] == "-inf");  // A does not move on step 1
  CHECK(predict["steps"][2]["exponents"]["Z_A"] == "1/2");
  CHECK(predict["verdicts"]["from_settled"]["efficient"] == true);
  CHECK(predict["verdicts"]["every_step"]["efficient"] == false);
  CHECK(predict["max_stable_eta"]["value"] == "-1/2");

  auto explain = run_json("gamma explain --scheme B --eta -1 --json");
  bool saw_clt = false, saw_lln = false;
  for (const auto& line : explain["derivation"]) {
    std::string rule = line["rule"];
    saw_clt = saw_clt || rule.find("CLT") != std::string::npos;
    saw_lln = saw_lln || rule.find("LLN") != std::string::npos;
  }
  CHECK(saw_clt);
  CHECK(saw_lln);

  auto phase = run_json("gamma phase --scheme A --x eta_A --y eta_B --json");
  auto efficient = phase["from_settled"]["efficient"];
  REQUIRE(efficient.size() == 1);
  // The LoRA+ line γ[η_A] + γ[η_B] = -1 from (1, -2) to (-1, 0).
  auto segment = nlohmann::json::array({nlohmann::json::array({"1", "-2"}), nlohmann::json::array({"-1", "0"})});
  CHECK(efficient[0]["vertices"] == segment);
}

TEST_CASE("text output: the verdict table and the device report") {
  Outcome solve = run("gamma solve --scheme A");
  CHECK(solve.status == 0);
  auto row = solve.output.substr(solve.output.find("internal instability"));
  row = row.substr(0, row.find('\n'));
  CHECK(row.find("empty") != std::string::npos);       // at every step
  CHECK(row.find("(-1, -1/2]") != std::string::npos);  // from step 3 on
  Outcome device = run("device --json");
  CHECK(device.status == 0);
  CHECK(nlohmann::json::parse(device.output).contains("compiled_in"));
}

TEST_CASE("the program links no GPU or MPI library; `device` finds and loads their plugins") {
  Outcome linked = run_launched("ldd", "");
  REQUIRE(linked.status == 0);
  CAPTURE(linked.output);
  for (const char* library : {"libcublas", "libcudart", "libcuda.", "libmpi"}) CHECK(linked.output.find(library) == std::string::npos);
  // The plugins are built with the program and found beside it: neither reports itself missing
  // or unloadable (where the build has no CUDA or MPI, each says so instead).
  const nlohmann::json device = run_json("device --json");
  CAPTURE(device.dump());
  CHECK(device["description"].get<std::string>().find("gammalab-cuda.so") == std::string::npos);
  CHECK(device["mpi"].get<std::string>().find("not usable") == std::string::npos);
}

TEST_CASE("gamma mlp: bad input names the option, the value and what is accepted") {
  expect_bad_input("gamma mlp --parametrization xp", "--parametrization: unknown parametrization 'xp'; accepted: sp");
  expect_bad_input("gamma mlp --alignment partial", "--alignment: unknown alignment 'partial'; accepted: full, none");
  expect_bad_input("gamma mlp --optimizer rmsprop", "--optimizer: unknown optimizer 'rmsprop'");
  expect_bad_input("gamma mlp --a 1/0", "--a: '1/0' is not an exponent; accepted: one exact exponent");
  expect_bad_input("gamma mlp --c 0,1", "--c: '0,1' is not one exponent or three");
  expect_bad_input("gamma mlp --b 0,,1", "--b: '' is not an exponent");
  expect_bad_input("gamma mlp --layers 1", "--layers: '1' is not a number of hidden layers; accepted: an integer from 2 to 64");
  expect_bad_input("gamma mlp --layers 3x", "--layers: '3x'");
  expect_bad_input("gamma mlp --parametrization custom --a 0 --b 0", "--c: the custom parametrization needs --a, --b and --c");
  expect_bad_input("gamma mlp --table --parametrization sp", "--parametrization: is not used by --table");
}

TEST_CASE("gamma mlp --json: μP under Adam with full alignment, exactly, and every preset × optimizer × alignment") {
  auto mup = run_json("gamma mlp --parametrization mup --optimizer adam --alignment full --json");
  CHECK(mup["command"] == "mlp");
  CHECK(mup["stable"] == true);
  CHECK(mup["feature_learning"] == true);
  CHECK(mup["r"] == "0");
  CHECK(mup["groups"]["input"]["max_stable"] == "-1/2");
  CHECK(mup["groups"]["hidden"]["max_stable"] == "-1");
  CHECK(mup["groups"]["readout"]["max_stable"] == "-1/2");
  CHECK(mup["groups"]["readout"]["binding"] == nlohmann::json::array({"ΔW^{L+1} x^L"}));
  for (const char* group : {"input", "hidden", "readout"}) {
    CHECK(mup["groups"][group]["stable"] == true);
    CHECK(mup["groups"][group]["feature_learning"] == true);
  }

  auto ntk = run_json("gamma mlp --parametrization ntk --optimizer sgd --json");
  CHECK(ntk["r"] == "1/2");
  CHECK(ntk["feature_learning"] == false);
  auto sp = run_json("gamma mlp --parametrization sp --optimizer sgd --json");
  CHECK(sp["stable"] == false);
  CHECK(sp["r"].is_null());
  CHECK(sp["groups"]["hidden"]["max_stable"] == "-1");

  // Overriding a preset: SP with η ∝ 1/n in every group is TP4's stable SP.
  auto slow_sp = run_json("gamma mlp --parametrization sp --c 1 --json");
  CHECK(slow_sp["stable"] == true);
  CHECK(slow_sp["r"] == "1/2");
  CHECK(slow_sp["groups"]["input"]["c"] == "1");
  // custom = μP written out.
  auto custom = run_json("gamma mlp --parametrization custom --a -1/2,0,1/2 --b 1/2 --c 0 --json");
  CHECK(custom["groups"] == run_json("gamma mlp --parametrization mup --json")["groups"]);

  auto table = run_json("gamma mlp --table --json");
  CHECK(table["command"] == "mlp-table");
  REQUIRE(table["rows"].size() == 16);
  for (const auto& row : table["rows"])
    CHECK(row == run_json("gamma mlp --parametrization " + row["parametrization"].get<std::string>() + " --optimizer " +
                          row["optimizer"].get<std::string>() + " --alignment " + row["alignment"].get<std::string>() +
                          " --json"));
}

TEST_CASE("gamma mlp --predict and --explain: every step and every rule") {
  auto document = run_json("gamma mlp --parametrization ntk --layers 2 --predict --explain --json");
  REQUIRE(document["steps"].size() >= 2);
  CHECK(document["steps"][0]["features"] == nlohmann::json::array({"0", "0"}));
  CHECK(document["steps"][1]["update"] == nlohmann::json::array({"-1/2", "-3/2", "-1"}));
  CHECK(document["steps"][1]["output_change"] == "0");
  bool clt = false;
  for (const auto& line : document["derivation"])
    clt = clt || (line["quantity"] == "h^2" && line["rule"].get<std::string>().find("independent → CLT") != std::string::npos);
  CHECK(clt);
  Outcome text = run("gamma mlp --parametrization mup --optimizer adam");
  CHECK(text.status == 0);
  CHECK(text.output.find("hidden   0     1/2   1     yes     learn     -1") != std::string::npos);
}

TEST_CASE("solve under SGD, where the exponents never settle, states the limit of the maximal rate beside the horizon's") {
  auto module = run_json("gamma solve --scheme A --optimizer sgd --json");
  CHECK(module["max_stable"]["value"] == "-30/31");
  CHECK(module["limit"]["value"] == "-1");
  CHECK(module["limit"]["to_step"] == 16);
  auto network = run_json("gamma solve --scheme A --optimizer sgd --setting network --json");
  CHECK(network["max_stable"]["value"] == "-15/31");
  CHECK(network["limit"]["value"] == "-1/2");
  CHECK(run_json("gamma solve --scheme A --json")["limit"].is_null());  // Adam settles
  Outcome text = run("gamma solve --scheme A --optimizer sgd");
  CHECK(text.output.find("as the steps grow: maximal stable γ[η] → -1 (") != std::string::npos);
}
