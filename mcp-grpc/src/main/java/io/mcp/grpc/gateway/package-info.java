/** The HTTP/JSON gateway to the ControlPlane service, with Server-Sent Events and the web console. */
package io.mcp.grpc.gateway;
