package com.llamagateway.simulator;

/** Which error envelope a fault answers with: the one of the API the request came in on. */
enum FaultStyle { LLAMA, AZURE, SCORE }
