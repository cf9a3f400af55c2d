import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddRequest as _summa_v1_AddRequest, AddRequest__Output as _summa_v1_AddRequest__Output } from './summa/v1/AddRequest';
import type { AddResponse as _summa_v1_AddResponse, AddResponse__Output as _summa_v1_AddResponse__Output } from './summa/v1/AddResponse';
import type { CalculatorServiceClient as _summa_v1_CalculatorServiceClient, CalculatorServiceDefinition as _summa_v1_CalculatorServiceDefinition } from './summa/v1/CalculatorService';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  summa: {
    v1: {
      AddRequest: MessageTypeDefinition<_summa_v1_AddRequest, _summa_v1_AddRequest__Output>
      AddResponse: MessageTypeDefinition<_summa_v1_AddResponse, _summa_v1_AddResponse__Output>
      CalculatorService: SubtypeConstructor<typeof grpc.Client, _summa_v1_CalculatorServiceClient> & { service: _summa_v1_CalculatorServiceDefinition }
    }
  }
}

