"""Where the live path and the twin meet: the open-model arrival schedule, prompt choice, gold correctness."""
