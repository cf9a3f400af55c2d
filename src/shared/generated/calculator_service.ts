import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CalculatorServiceClient as _CalculatorServiceClient, CalculatorServiceDefinition as _CalculatorServiceDefinition } from './CalculatorService';
import type { CalculatorServiceAddRequest as _CalculatorServiceAddRequest, CalculatorServiceAddRequest__Output as _CalculatorServiceAddRequest__Output } from './CalculatorServiceAddRequest';
import type { CalculatorServiceAddResponse as _CalculatorServiceAddResponse, CalculatorServiceAddResponse__Output as _CalculatorServiceAddResponse__Output } from './CalculatorServiceAddResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  CalculatorService: SubtypeConstructor<typeof grpc.Client, _CalculatorServiceClient> & { service: _CalculatorServiceDefinition }
  CalculatorServiceAddRequest: MessageTypeDefinition<_CalculatorServiceAddRequest, _CalculatorServiceAddRequest__Output>
  CalculatorServiceAddResponse: MessageTypeDefinition<_CalculatorServiceAddResponse, _CalculatorServiceAddResponse__Output>
}

