//! ZCL, the Zigbee Cluster Library (placeholder until the frame codec lands).
