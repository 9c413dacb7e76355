package com.llamagateway.gateway.routing;

/** Serverless (Models-as-a-Service) endpoint or managed-compute (Azure ML online endpoint) deployment. */
public enum DeploymentKind { SERVERLESS, MANAGED_COMPUTE }
